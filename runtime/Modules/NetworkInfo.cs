using System;
using System.Collections.Generic;
using TorchSharp;

namespace CnnGen.Runtime;

/// <summary>
/// Compile-time facts about one generated network and a way to build it with default arguments;
/// the generated <c>NetworkCatalog</c> of a project lists one per <c>*.cnn.yaml</c>. <see cref="Create"/> builds a network
/// that returns one tensor; one that returns several (a record) is built by <see cref="CreateModule"/>, and its
/// <see cref="Create"/> throws, saying so.
/// </summary>
public sealed record NetworkInfo(
    string Name,
    Type Type,
    long ParameterCount,
    long? PublishedParameterCount,
    string? PublishedSource,
    long MultiplyAccumulates,
    long[] InputShape,
    long[] OutputShape,
    IReadOnlyList<LayerInfo> Layers,
    Func<torch.nn.Module<torch.Tensor, torch.Tensor>> Create)
{
    /// <summary>
    /// The names of the outputs a network that returns several (<c>outputs:</c> in its YAML) returns as its record, in
    /// order; empty for a network that returns one tensor. <see cref="OutputShape"/> is then the first one's.
    /// </summary>
    public IReadOnlyList<string> Outputs { get; init; } = Array.Empty<string>();

    /// <summary>Builds the network with default arguments, whatever it returns (for one that returns several outputs, <see cref="Create"/> cannot).</summary>
    public Func<torch.nn.Module> CreateModule { get; init; } = Create;
}
