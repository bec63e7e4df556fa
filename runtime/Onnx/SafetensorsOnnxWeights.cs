using System;
using System.Buffers.Binary;
using System.IO;
using CnnGen.Runtime.Weights;

namespace CnnGen.Runtime.Onnx;

/// <summary>
/// The tensors of a safetensors file, read by key straight from its bytes (float32, float16, bfloat16 or float64,
/// converted to float32) without libtorch: what <c>cnngen export --weights</c> reads. A shape or dtype the export
/// cannot use is an error that names the key.
/// </summary>
public sealed class SafetensorsOnnxWeights : IOnnxWeights, IDisposable
{
    private readonly SafetensorsFile _file;

    public SafetensorsOnnxWeights(string path)
    {
        _file = SafetensorsFile.Open(path);
        foreach (var entry in _file.Entries)
            if (!IsStatistic(entry.Name) && IsFloat(entry.Dtype)) ParameterCount += Count(entry.Shape);
    }

    /// <summary>The elements of every floating-point tensor but batch norms' running statistics.</summary>
    public long ParameterCount { get; }

    public bool TryGet(string key, out float[] values, out long[] shape)
    {
        (values, shape) = (Array.Empty<float>(), Array.Empty<long>());
        if (!_file.TryGetEntry(key, out var entry)) return false;
        if (!IsFloat(entry.Dtype))
            throw new InvalidDataException($"{_file.Path}: '{key}' holds {entry.Dtype}, not a floating-point type the export can write as float32.");
        var count = Count(entry.Shape);
        var size = entry.Dtype switch { SafetensorsDtype.F64 => 8, SafetensorsDtype.F32 => 4, _ => 2 };
        if (entry.ByteLength != count * size)
            throw new InvalidDataException($"{_file.Path}: '{key}' has {entry.ByteLength} bytes, not {count * size} for its shape.");
        var bytes = new byte[entry.ByteLength];
        using (var stream = new FileStream(_file.Path, FileMode.Open, FileAccess.Read, FileShare.Read))
        {
            stream.Position = _file.DataStart + entry.DataBegin;
            stream.ReadExactly(bytes);
        }
        values = new float[count];
        for (var i = 0; i < count; i++)
            values[i] = entry.Dtype switch
            {
                SafetensorsDtype.F32 => BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(i * 4)),
                SafetensorsDtype.F64 => (float)BinaryPrimitives.ReadDoubleLittleEndian(bytes.AsSpan(i * 8)),
                SafetensorsDtype.F16 => (float)BinaryPrimitives.ReadHalfLittleEndian(bytes.AsSpan(i * 2)),
                _ => BitConverter.Int32BitsToSingle(BinaryPrimitives.ReadUInt16LittleEndian(bytes.AsSpan(i * 2)) << 16),
            };
        shape = entry.ShapeArray();
        return true;
    }

    public void Dispose() => _file.Dispose();

    private static bool IsFloat(SafetensorsDtype dtype) => dtype is SafetensorsDtype.F32 or SafetensorsDtype.F16 or SafetensorsDtype.BF16 or SafetensorsDtype.F64;

    private static bool IsStatistic(string key) =>
        key.EndsWith(".running_mean", StringComparison.Ordinal) || key.EndsWith(".running_var", StringComparison.Ordinal);

    private static long Count(System.Collections.Generic.IReadOnlyList<long> shape)
    {
        long count = 1;
        foreach (var dim in shape) count = checked(count * dim);
        return count;
    }
}
