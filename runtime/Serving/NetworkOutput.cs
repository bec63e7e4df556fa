using System;

namespace CnnGen.Serving;

/// <summary>
/// One output batch as plain arrays, for callers that serve without TorchSharp tensors: <see cref="Data"/> in
/// row-major order, <see cref="Shape"/> with the batch first ([N, classes] for a classifier).
/// </summary>
public sealed class NetworkOutput
{
    /// <summary>Wraps <paramref name="data"/> and <paramref name="shape"/> without copying them.</summary>
    public NetworkOutput(float[] data, long[] shape)
    {
        Data = data ?? throw new ArgumentNullException(nameof(data));
        Shape = shape ?? throw new ArgumentNullException(nameof(shape));
    }

    /// <summary>The values, row-major.</summary>
    public float[] Data { get; }

    /// <summary>The dimensions, batch first.</summary>
    public long[] Shape { get; }
}
