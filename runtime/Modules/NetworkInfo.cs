using System;
using System.Collections.Generic;
using TorchSharp;

namespace CnnGen.Runtime;

/// <summary>
/// Compile-time facts about one generated network and a way to build it with default arguments;
/// the generated <c>NetworkCatalog</c> of a project lists one per <c>*.cnn.yaml</c>.
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
    Func<torch.nn.Module<torch.Tensor, torch.Tensor>> Create);
