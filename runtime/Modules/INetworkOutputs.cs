using System;
using System.Collections.Generic;
using static TorchSharp.torch;

namespace CnnGen.Runtime;

/// <summary>
/// What a network that returns several outputs (<c>outputs:</c> in its YAML) returns: its generated <c>Outputs</c>
/// record implements this, so code that does not know the class (a serving loop, a test over the zoo) can read it.
/// Disposing it disposes every tensor.
/// </summary>
public interface INetworkOutputs : IDisposable
{
    /// <summary>The outputs' names in the YAML, in order.</summary>
    IReadOnlyList<string> Names { get; }

    /// <summary>The outputs in the order of <see cref="Names"/>.</summary>
    IReadOnlyList<Tensor> ToList();
}
