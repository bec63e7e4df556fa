using System;
using System.Collections.Generic;
using TorchSharp;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// Where a network's ends are, for the <see cref="WeightsOptions"/> that handle them: the head's module path,
/// the stem convolution's, the aux heads' state-dict prefixes. A generated network knows its own
/// (<see cref="IGeneratedNetwork"/>); the options' own paths, when set, win over these.
/// </summary>
internal sealed record NetworkEnds(string? HeadPath, string? StemConvPath, IReadOnlyList<string> AuxHeadPrefixes)
{
    public static readonly NetworkEnds None = new(null, null, Array.Empty<string>());

    /// <summary>What <paramref name="module"/> says of its ends if it is a generated network; nothing otherwise.</summary>
    public static NetworkEnds Of(torch.nn.Module module) => module is IGeneratedNetwork network
        ? new NetworkEnds(network.HeadPath, network.StemConvPath, network.AuxHeadPrefixes)
        : None;
}
