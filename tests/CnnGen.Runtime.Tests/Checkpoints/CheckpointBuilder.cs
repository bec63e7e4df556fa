using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace CnnGen.Runtime.Tests.Checkpoints;

/// <summary>Writes pickle opcodes by hand, so hostile pickles can be anything, not just what Python would emit.</summary>
internal sealed class PickleBuilder
{
    private readonly MemoryStream _bytes = new();

    public long Length => _bytes.Length;

    public PickleBuilder Op(byte op) { _bytes.WriteByte(op); return this; }

    public PickleBuilder Raw(params byte[] bytes) { _bytes.Write(bytes); return this; }

    public PickleBuilder Proto(byte protocol = 2) => Op(0x80).Op(protocol);
    public PickleBuilder Mark() => Op((byte)'(');
    public PickleBuilder Stop() => Op((byte)'.');
    public PickleBuilder Tuple() => Op((byte)'t');
    public PickleBuilder EmptyTuple() => Op((byte)')');
    public PickleBuilder EmptyDict() => Op((byte)'}');
    public PickleBuilder EmptyList() => Op((byte)']');
    public PickleBuilder Reduce() => Op((byte)'R');
    public PickleBuilder SetItems() => Op((byte)'u');
    public PickleBuilder Appends() => Op((byte)'e');
    public PickleBuilder BinPersId() => Op((byte)'Q');
    public PickleBuilder False() => Op(0x89);
    public PickleBuilder None() => Op((byte)'N');

    public PickleBuilder Global(string module, string name) =>
        Op((byte)'c').Raw(Encoding.ASCII.GetBytes($"{module}\n{name}\n"));

    public PickleBuilder Str(string text)
    {
        var utf8 = Encoding.UTF8.GetBytes(text);
        var length = new byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(length, utf8.Length);
        return Op((byte)'X').Raw(length).Raw(utf8);
    }

    /// <summary>BININT1 for small non-negative values, LONG1 (8 bytes) otherwise, as Python picks.</summary>
    public PickleBuilder Int(long value)
    {
        if (value is >= 0 and < 256)
            return Op((byte)'K').Op((byte)value);
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64LittleEndian(bytes, value);
        return Op(0x8a).Op(8).Raw(bytes);
    }

    public PickleBuilder Ints(params long[] values)
    {
        Mark();
        foreach (var v in values) Int(v);
        return Tuple();
    }

    public byte[] ToArray() => _bytes.ToArray();
}

/// <summary>A tensor of a hand-made state dict: where it sits in which storage.</summary>
internal sealed record TensorSpec(string Name, string StorageKey, long StorageNumel, long Offset, long[] Size, long[] Stride,
    string StorageType = "FloatStorage");

/// <summary>Builds zip-format and legacy-format checkpoints byte by byte.</summary>
internal static class CheckpointBuilder
{
    /// <summary>nn.Linear(2, 1)'s state dict: weight [1,2] = {1, 2}, bias [1] = {3}, in storages "0" and "1".</summary>
    public static readonly TensorSpec[] LinearSpecs =
    {
        new("weight", "0", 2, 0, new long[] { 1, 2 }, new long[] { 2, 1 }),
        new("bias", "1", 1, 0, new long[] { 1 }, new long[] { 1 }),
    };

    public static byte[] F32(params float[] values)
    {
        var bytes = new byte[values.Length * 4];
        for (int i = 0; i < values.Length; i++)
            BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(i * 4), values[i]);
        return bytes;
    }

    public static readonly Dictionary<string, byte[]> LinearStorages = new()
    {
        ["0"] = F32(1, 2),
        ["1"] = F32(3),
    };

    /// <summary>An OrderedDict of the tensors, as torch.save pickles a state dict.</summary>
    public static PickleBuilder StateDict(IEnumerable<TensorSpec> tensors, bool legacy, Action<PickleBuilder>? extra = null)
    {
        var p = new PickleBuilder().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce().Mark();
        foreach (var t in tensors)
            Tensor(p.Str(t.Name), t, legacy);
        extra?.Invoke(p);
        return p.SetItems().Stop();
    }

    public static PickleBuilder Tensor(PickleBuilder p, TensorSpec t, bool legacy)
    {
        p.Global("torch._utils", "_rebuild_tensor_v2").Mark();
        p.Mark().Str("storage").Global("torch", t.StorageType).Str(t.StorageKey).Str("cpu").Int(t.StorageNumel);
        if (legacy) p.None();
        p.Tuple().BinPersId();
        p.Int(t.Offset).Ints(t.Size).Ints(t.Stride).False().Global("collections", "OrderedDict").EmptyTuple().Reduce();
        return p.Tuple().Reduce();
    }

    /// <summary>A zip checkpoint: <c>archive/data.pkl</c> and <c>archive/data/key</c>, all STORED unless listed in <paramref name="compressed"/>.</summary>
    public static byte[] Zip(byte[] pickle, IReadOnlyDictionary<string, byte[]> storages, params string[] compressed)
    {
        var entries = new List<(string, byte[])> { ("archive/data.pkl", pickle) };
        entries.AddRange(storages.Select(s => ($"archive/data/{s.Key}", s.Value)));
        entries.Add(("archive/version", Encoding.ASCII.GetBytes("3\n")));
        return ZipOf(entries, compressed);
    }

    public static byte[] ZipOf(IEnumerable<(string Name, byte[] Data)> entries, params string[] compressed)
    {
        var memory = new MemoryStream();
        using (var zip = new ZipArchive(memory, ZipArchiveMode.Create, leaveOpen: true))
        {
            foreach (var (name, data) in entries)
            {
                var level = compressed.Contains(name) ? CompressionLevel.SmallestSize : CompressionLevel.NoCompression;
                using var stream = zip.CreateEntry(name, level).Open();
                stream.Write(data);
            }
        }
        return memory.ToArray();
    }

    /// <summary>The three pickles a legacy file starts with: magic number, protocol version, system info.</summary>
    public static byte[] LegacyPreamble()
    {
        var magic = new PickleBuilder().Proto().Op(0x8a).Op(10)
            .Raw(0x6c, 0xfc, 0x9c, 0x46, 0xf9, 0x20, 0x6a, 0xa8, 0x50, 0x19).Stop();
        var protocol = new PickleBuilder().Proto().Op((byte)'M').Raw(0xe9, 0x03).Stop();
        var info = new PickleBuilder().Proto().EmptyDict().Mark().Str("protocol_version").Op((byte)'M').Raw(0xe9, 0x03)
            .Str("little_endian").Op(0x88).SetItems().Stop();
        return magic.ToArray().Concat(protocol.ToArray()).Concat(info.ToArray()).ToArray();
    }

    /// <summary>A legacy checkpoint: preamble, data pickle, key list, then each storage's count and bytes.</summary>
    public static byte[] Legacy(byte[] pickle, IReadOnlyList<(string Key, long Count, byte[] Data)> storages, byte[]? keyPickle = null)
    {
        var keys = new PickleBuilder().Proto().EmptyList().Mark();
        foreach (var s in storages) keys.Str(s.Key);
        keys.Appends().Stop();
        var output = new MemoryStream();
        output.Write(LegacyPreamble());
        output.Write(pickle);
        output.Write(keyPickle ?? keys.ToArray());
        foreach (var (_, count, data) in storages)
        {
            var prefix = new byte[8];
            BinaryPrimitives.WriteInt64LittleEndian(prefix, count);
            output.Write(prefix);
            output.Write(data);
        }
        return output.ToArray();
    }

    public static IReadOnlyList<(string, long, byte[])> LinearLegacyStorages =>
        new List<(string, long, byte[])> { ("0", 2, F32(1, 2)), ("1", 1, F32(3)) };
}
