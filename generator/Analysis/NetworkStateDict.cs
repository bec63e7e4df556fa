using System.Collections.Generic;
using CnnGen.Generator.Layers;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// The state dict a generated network's constructor registers, as the analysis knows it: every tensor's key,
/// shape and kind, in TorchSharp's <c>state_dict()</c> order. What <c>cnngen weights check</c> matches a
/// weight file against without building the network.
/// </summary>
/// <param name="Tensors">Every tensor of the built-in layers, under its full key.</param>
/// <param name="UncheckedPrefixes">
/// The key prefixes (<c>layer1.0.se.</c>) of layers written in C#, whose tensors only their class knows:
/// <see cref="Tensors"/> lists none under them, and a file's keys there can be neither matched nor faulted.
/// </param>
public sealed record NetworkStateDict(IReadOnlyList<StateTensor> Tensors, IReadOnlyList<string> UncheckedPrefixes)
{
    public static readonly NetworkStateDict Empty = new(new StateTensor[0], new string[0]);
}
