using System.Collections.Generic;
using System.Linq;

namespace CnnGen.Generator.Layers;

/// <summary>What a state-dict tensor is to PyTorch and TorchSharp: a learned parameter, a buffer, or BatchNorm's batch counter.</summary>
public enum StateTensorKind
{
    /// <summary>A learned float tensor (<c>register_parameter</c>): conv's weight, bn's bias.</summary>
    Parameter,

    /// <summary>A float buffer (<c>register_buffer</c>): bn's running_mean and running_var.</summary>
    Buffer,

    /// <summary>
    /// BatchNorm's <c>num_batches_tracked</c>: a buffer of shape [], int64 in PyTorch's files (TorchSharp 0.107
    /// holds it as float32; loads convert either way).
    /// </summary>
    Counter,
}

/// <summary>
/// One tensor of a network's state dict: <c>layer1.0.conv1.weight</c> [64, 64, 3, 3]. A layer kind declares its
/// module's tensors with names relative to the module (<c>weight</c>, <c>running_var</c>), in the order the
/// TorchSharp module registers them; <see cref="Analysis.NetworkModel.StateDict"/> holds them under their full keys.
/// </summary>
/// <param name="Name">The key, relative to the layer's module in a layer's declaration (empty for a parameter that is the module itself: layer scale).</param>
/// <param name="Shape">The dimensions as the analysis computes them (model arguments at their defaults, or the values asked for).</param>
public sealed record StateTensor(string Name, IReadOnlyList<long> Shape, StateTensorKind Kind)
{
    public static StateTensor Parameter(string name, params long[] shape) => new(name, shape, StateTensorKind.Parameter);

    public static StateTensor Buffer(string name, params long[] shape) => new(name, shape, StateTensorKind.Buffer);

    public static readonly StateTensor BatchCounter = new("num_batches_tracked", new long[0], StateTensorKind.Counter);

    public bool IsBuffer => Kind != StateTensorKind.Parameter;

    /// <summary>The same tensor under the module path <paramref name="path"/>.</summary>
    public StateTensor Under(string path) => this with { Name = Name.Length == 0 ? path : path + "." + Name };

    /// <summary>Records compare lists by reference; two tensors are the same when their name, shape and kind are.</summary>
    public bool Equals(StateTensor? other) =>
        other is not null && Name == other.Name && Kind == other.Kind && Shape.SequenceEqual(other.Shape);

    public override int GetHashCode() => (Name, Kind, Shape.Count).GetHashCode();

    public override string ToString() => $"{Name} [{string.Join(",", Shape)}]{(Kind == StateTensorKind.Parameter ? "" : " " + Kind.ToString().ToLowerInvariant())}";
}
