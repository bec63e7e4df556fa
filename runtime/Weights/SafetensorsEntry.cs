using System.Collections.Generic;

namespace CnnGen.Runtime.Weights;

/// <summary>One tensor's header entry, already checked against the file (offsets inside the data section, size matching the shape).</summary>
public sealed class SafetensorsEntry
{
    internal SafetensorsEntry(string name, SafetensorsDtype dtype, long[] shape, long begin, long end)
    {
        Name = name;
        Dtype = dtype;
        _shape = shape;
        DataBegin = begin;
        DataEnd = end;
    }

    private readonly long[] _shape;

    /// <summary>The tensor's name, a state-dict key such as <c>layer1.0.bn2.running_var</c>.</summary>
    public string Name { get; }

    public SafetensorsDtype Dtype { get; }

    /// <summary>The dimensions; empty for a scalar such as <c>num_batches_tracked</c>.</summary>
    public IReadOnlyList<long> Shape => _shape;

    /// <summary>Start of the tensor's bytes, relative to the start of the data section.</summary>
    public long DataBegin { get; }

    /// <summary>End (exclusive) of the tensor's bytes, relative to the start of the data section.</summary>
    public long DataEnd { get; }

    public long ByteLength => DataEnd - DataBegin;

    /// <summary>A copy of the shape in the form TorchSharp's factories take.</summary>
    public long[] ShapeArray() => (long[])_shape.Clone();

    public override string ToString() => $"{Name}: {Dtype} {ShapeText.Format(_shape)}";
}
