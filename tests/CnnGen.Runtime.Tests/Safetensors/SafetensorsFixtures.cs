using System.Buffers.Binary;
using System.Text;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests.Safetensors;

/// <summary>
/// A temporary folder per test class, and byte-level builders for files the writer would never
/// produce (hand-made dtypes, hostile headers), so the reader is tested against the format itself
/// rather than against our own writer.
/// </summary>
public abstract class SafetensorsTestBase : IDisposable
{
    protected SafetensorsTestBase()
    {
        Directory = Path.Combine(Path.GetTempPath(), "cnngen-safetensors-" + Guid.NewGuid().ToString("N"));
        System.IO.Directory.CreateDirectory(Directory);
    }

    protected string Directory { get; }

    protected string PathFor(string name) => Path.Combine(Directory, name);

    /// <summary>Writes the 8-byte little-endian length, the header text as given, then the data bytes.</summary>
    protected string WriteRaw(string name, string header, byte[]? data = null, ulong? declaredHeaderLength = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + (data?.Length ?? 0)];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, declaredHeaderLength ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        data?.CopyTo(bytes, 8 + json.Length);
        var path = PathFor(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    /// <summary>
    /// A well-formed file built by hand: the given dtype names and raw bytes, offsets laid end to end in
    /// the order given (not the writer's sorted order, which readers must not rely on).
    /// </summary>
    protected string WriteTensors(string name, params (string Name, string Dtype, long[] Shape, byte[] Data)[] tensors)
    {
        var header = new StringBuilder("{");
        long offset = 0;
        foreach (var t in tensors)
        {
            if (header.Length > 1) header.Append(',');
            header.Append($"\"{t.Name}\":{{\"dtype\":\"{t.Dtype}\",\"shape\":[{string.Join(",", t.Shape)}],\"data_offsets\":[{offset},{offset + t.Data.Length}]}}");
            offset += t.Data.Length;
        }
        header.Append('}');
        return WriteRaw(name, header.ToString(), Encode.Concat(tensors.Select(t => t.Data).ToArray()));
    }

    protected string WriteBytes(string name, byte[] bytes)
    {
        var path = PathFor(name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    public void Dispose()
    {
        try { System.IO.Directory.Delete(Directory, recursive: true); } catch (IOException) { }
        GC.SuppressFinalize(this);
    }
}

/// <summary>Little-endian encodings of known values, written out by hand for the dtype tests.</summary>
internal static class Encode
{
    public static byte[] F32(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    public static byte[] F64(params double[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteDoubleLittleEndian(bytes.AsSpan(i * 8), values[i]);
        return bytes;
    }

    /// <summary>IEEE half precision, given as raw bit patterns so the test states exactly what is stored.</summary>
    public static byte[] U16Bits(params ushort[] bits)
    {
        var bytes = new byte[bits.Length * 2];
        for (int i = 0; i < bits.Length; i++)
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(i * 2), bits[i]);
        return bytes;
    }

    public static byte[] I64(params long[] values)
    {
        var bytes = new byte[values.Length * 8];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt64LittleEndian(bytes.AsSpan(i * 8), values[i]);
        return bytes;
    }

    public static byte[] I32(params int[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteInt32LittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    public static byte[] Concat(params byte[][] parts) => parts.SelectMany(p => p).ToArray();
}

/// <summary>
/// A small network with the state-dict shapes the loader has to get right: a conv with bias, a
/// BatchNorm (weight, bias, running_mean, running_var, num_batches_tracked) nested one level down as
/// torchvision names them (<c>layer1.0.bn.running_var</c>), and a linear head.
/// </summary>
internal sealed class TinyNet : nn.Module
{
    public TinyNet(int classes = 3, int hidden = 8, ScalarType dtype = ScalarType.Float32, int inChannels = 3)
        : base(nameof(TinyNet))
    {
        conv1 = nn.Conv2d(inChannels, 4, 3, dtype: dtype);
        layer1 = new Block(dtype);
        fc = nn.Linear(hidden, classes, dtype: dtype);
        RegisterComponents();
    }

    // Field names are the state-dict prefixes (RegisterComponents uses them).
    public readonly TorchSharp.Modules.Conv2d conv1;
    public readonly Block layer1;
    public readonly TorchSharp.Modules.Linear fc;

    internal sealed class Block : nn.Module
    {
        public Block(ScalarType dtype) : base(nameof(Block))
        {
            register_module("0", new Unit(dtype));
        }
    }

    internal sealed class Unit : nn.Module
    {
        public Unit(ScalarType dtype) : base(nameof(Unit))
        {
            bn = nn.BatchNorm2d(4, dtype: dtype);
            RegisterComponents();
        }

        public readonly TorchSharp.Modules.BatchNorm2d bn;
    }

    public TorchSharp.Modules.BatchNorm2d Bn => ((Unit)layer1.named_children().Single().module).bn;

    /// <summary>Deep copies of every state-dict tensor, to compare against after a load.</summary>
    public Dictionary<string, Tensor> Snapshot() =>
        state_dict().ToDictionary(kv => kv.Key, kv => kv.Value.detach().clone());

    /// <summary>Gives every tensor distinctive values (and the counter a distinctive count).</summary>
    public void Randomize(int seed)
    {
        using var _ = no_grad();
        var generator = new Generator((ulong)seed);
        foreach (var (name, tensor) in state_dict())
        {
            // The counter (Float32 in TorchSharp's BatchNorm, I64 in files) gets a whole number.
            if (name.EndsWith("num_batches_tracked"))
                tensor.fill_(seed + 10);
            else
                tensor.copy_(rand(tensor.shape, tensor.dtype, generator: generator) + 0.5);
        }
    }
}

internal static class TensorAssert
{
    /// <summary>A counter's value, whatever its dtype (TorchSharp's BatchNorm keeps it as Float32).</summary>
    public static long Count(Tensor counter)
    {
        using var asLong = counter.to_type(ScalarType.Int64);
        return asLong.item<long>();
    }

    public static void Equal(Tensor expected, Tensor actual, string key)
    {
        Assert.True(expected.shape.SequenceEqual(actual.shape),
            $"{key}: shape [{string.Join(",", expected.shape)}] vs [{string.Join(",", actual.shape)}]");
        Assert.Equal(expected.dtype, actual.dtype);
        // Tensor.equal is elementwise in TorchSharp; all() makes it one exact verdict.
        using var same = expected.eq(actual).all();
        Assert.True(same.item<bool>(), $"{key}: values differ");
    }

    public static float[] Floats(Tensor t) => t.detach().cpu().to_type(ScalarType.Float32).contiguous().data<float>().ToArray();
}
