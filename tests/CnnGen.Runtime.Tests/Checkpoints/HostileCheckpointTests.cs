using System.Diagnostics;
using CnnGen.Runtime.Weights;
using CnnGen.Runtime.Weights.Checkpoints;
using static CnnGen.Runtime.Tests.Checkpoints.CheckpointBuilder;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests.Checkpoints;

/// <summary>
/// Hostile and damaged checkpoints, built byte by byte: each must raise <see cref="CheckpointFormatException"/>
/// saying what is wrong and where (zip entry, pickle offset), within bounded time and memory, with nothing
/// loaded and the module untouched. Nothing in a pickle is ever executed.
/// </summary>
public sealed class HostileCheckpointTests : IDisposable
{
    private readonly string _dir = Directory.CreateTempSubdirectory("cnngen-hostile-").FullName;

    public void Dispose()
    {
        try { Directory.Delete(_dir, recursive: true); } catch (IOException) { }
    }

    private string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private string WriteCheckpoint(string format, byte[] pickle) => format == "zip"
        ? Write("hostile.pt", Zip(pickle, LinearStorages))
        : Write("hostile.pt", Legacy(pickle, LinearLegacyStorages));

    private static byte[] LinearPickle(bool legacy, params TensorSpec[] specs) =>
        StateDict(specs.Length == 0 ? LinearSpecs : specs, legacy).ToArray();

    /// <summary>The load throws, names the file and every fragment, and changes nothing, quickly and cheaply.</summary>
    private static CheckpointFormatException Rejects(string path, params string[] fragments)
    {
        using var module = nn.Linear(2, 1);
        using var weightBefore = module.weight!.detach().clone();
        using var biasBefore = module.bias!.detach().clone();
        var clock = Stopwatch.StartNew();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var e = Assert.Throws<CheckpointFormatException>(() => module.LoadWeights(path, strict: false));
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;
        clock.Stop();
        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);
        foreach (var fragment in fragments)
            Assert.True(e.Message.Contains(fragment, StringComparison.Ordinal), $"\"{fragment}\" not in: {e.Message}");
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(5), $"refusing took {clock.Elapsed}");
        Assert.True(allocated < 32L << 20, $"refusing allocated {allocated >> 20} MB");
        using var sameWeight = module.weight!.eq(weightBefore).all();
        using var sameBias = module.bias!.eq(biasBefore).all();
        Assert.True(sameWeight.item<bool>() && sameBias.item<bool>(), "the module changed");
        return e;
    }

    [Theory]
    [InlineData("zip")]
    [InlineData("legacy")]
    public void HandBuiltControlFile_Loads(string format)
    {
        // The base every hostile case alters by one thing.
        var path = WriteCheckpoint(format, LinearPickle(format == "legacy"));
        using var module = nn.Linear(2, 1);
        var report = module.LoadWeights(path);
        Assert.Equal(2, report.LoadedCount);
        Assert.Equal(new[] { 1f, 2f }, module.weight!.data<float>().ToArray());
        Assert.Equal(new[] { 3f }, module.bias!.data<float>().ToArray());
    }

    // ---- globals: nothing is called, anything but the allow-list is refused at its offset ----

    [Theory]
    [InlineData("zip", "posix", "system")]
    [InlineData("legacy", "posix", "system")]
    [InlineData("zip", "builtins", "eval")]
    [InlineData("legacy", "builtins", "eval")]
    [InlineData("zip", "os", "system")]
    public void PickleCallingCode_IsRefusedAtTheGlobal(string format, string module, string name)
    {
        var marker = Path.Combine(_dir, "pwned");
        var pickle = new PickleBuilder().Proto().Global(module, name).Str($"touch {marker}").Op(0x85).Reduce().Stop().ToArray();
        var path = WriteCheckpoint(format, pickle);
        var where = format == "zip" ? "archive/data.pkl at pickle offset 2" : "data pickle at pickle offset ";
        Rejects(path, $"global '{module}.{name}' is not allowed", where);
        Assert.False(File.Exists(marker));
    }

    [Fact]
    public void StackGlobal_IsCheckedLikeGlobal()
    {
        var pickle = new PickleBuilder().Proto(4).Str("os").Str("system").Op(0x93).Str("true").Op(0x85).Reduce().Stop().ToArray();
        Rejects(WriteCheckpoint("zip", pickle), "global 'os.system' is not allowed", "pickle offset");
    }

    [Theory]
    [InlineData("zip")]
    [InlineData("legacy")]
    public void UnknownGlobal_InsideAValidStateDict_IsRefused(string format)
    {
        bool legacy = format == "legacy";
        var pickle = StateDict(LinearSpecs, legacy, p => p.Str("extra").Global("torch.nn.modules.linear", "Linear").EmptyTuple().Reduce()).ToArray();
        Rejects(WriteCheckpoint(format, pickle), "global 'torch.nn.modules.linear.Linear' is not allowed");
    }

    [Fact]
    public void AllowedGlobal_CalledAsSomethingElse_IsRefused()
    {
        // A storage type is a tag in a persistent id, never a constructor.
        var pickle = new PickleBuilder().Proto().Global("torch", "FloatStorage").Int(1000000).Op(0x85).Reduce().Stop().ToArray();
        Rejects(WriteCheckpoint("zip", pickle), "REDUCE calls global torch.FloatStorage");
    }

    [Fact]
    public void OpcodeOutsideTheStateDictSet_IsRefused()
    {
        // INST ('i') would import and instantiate a class.
        var pickle = new PickleBuilder().Proto().Mark().Op((byte)'i').Raw("os\nsystem\n"u8.ToArray()).Stop().ToArray();
        Rejects(WriteCheckpoint("zip", pickle), "opcode 0x69 ('i') is not allowed", "pickle offset 3");
    }

    // ---- storages and views ----

    [Theory]
    [InlineData("zip")]
    [InlineData("legacy")]
    public void StorageLargerThanTheFile_IsRefused(string format)
    {
        var pickle = LinearPickle(format == "legacy", LinearSpecs[0] with { StorageNumel = 1L << 40, Size = new long[] { 1, 2 } }, LinearSpecs[1]);
        Rejects(WriteCheckpoint(format, pickle), "storage '0' declares 1099511627776 FloatStorage".Replace("FloatStorage", "F32"), "more than the whole file");
    }

    [Theory]
    [InlineData(-1L, "negative size -1")]
    [InlineData(long.MaxValue, "overflows 64 bits")]
    public void StorageSizeNegativeOrOverflowing_IsRefused(long numel, string expected)
    {
        var pickle = LinearPickle(false, LinearSpecs[0] with { StorageNumel = numel }, LinearSpecs[1]);
        Rejects(WriteCheckpoint("zip", pickle), expected, "archive/data.pkl at pickle offset");
    }

    public static TheoryData<string, long, long[], long[], string> BadViews() => new()
    {
        { "negative offset", -1, new long[] { 1, 2 }, new long[] { 2, 1 }, "storage offset -1 is negative" },
        { "negative size", 0, new long[] { 1, -2 }, new long[] { 2, 1 }, "size -2 is negative" },
        { "negative stride", 0, new long[] { 1, 2 }, new long[] { 2, -1 }, "stride -1 is negative" },
        { "past the storage", 1, new long[] { 1, 2 }, new long[] { 2, 1 }, "reaches element 3 of storage '0', which has 2" },
        { "huge stride", 0, new long[] { 1, 2 }, new long[] { 2, 1L << 40 }, "which has 2" },
        { "overflowing sizes", 0, new long[] { 1L << 40, 1L << 40 }, new long[] { 1, 1 }, "overflow 64 bits" },
        { "overflowing extent", long.MaxValue, new long[] { 1, 2 }, new long[] { 2, 1 }, "overflow 64 bits" },
    };

    [Theory]
    [MemberData(nameof(BadViews))]
    public void TensorViewOutsideItsStorage_IsRefused(string what, long offset, long[] size, long[] stride, string expected)
    {
        _ = what;
        foreach (var format in new[] { "zip", "legacy" })
        {
            var pickle = LinearPickle(format == "legacy", LinearSpecs[0] with { Offset = offset, Size = size, Stride = stride }, LinearSpecs[1]);
            Rejects(WriteCheckpoint(format, pickle), expected, "pickle offset");
        }
    }

    [Fact]
    public void IntegerBeyond64Bits_IsRefused()
    {
        var p = new PickleBuilder().Proto().Global("collections", "OrderedDict").EmptyTuple().Reduce().Mark().Str("weight");
        p.Global("torch._utils", "_rebuild_tensor_v2").Mark();
        p.Mark().Str("storage").Global("torch", "FloatStorage").Str("0").Str("cpu").Op(0x8a).Op(9).Raw(0, 0, 0, 0, 0, 0, 0, 0, 1).Tuple().BinPersId();
        p.Int(0).Ints(1, 2).Ints(2, 1).False().Global("collections", "OrderedDict").EmptyTuple().Reduce().Tuple().Reduce().SetItems().Stop();
        Rejects(WriteCheckpoint("zip", p.ToArray()), "storage '0' has a size that is not a 64-bit integer");
    }

    [Fact]
    public void ZipEntrySmallerThanTheStorageItHolds_IsRefused()
    {
        var pickle = LinearPickle(false, LinearSpecs[0] with { StorageNumel = 3 }, LinearSpecs[1]);
        Rejects(Write("short-entry.pt", Zip(pickle, LinearStorages)),
            "archive/data/0", "the entry has 8 bytes; the pickle declares 3 F32 elements (12 bytes)");
    }

    [Fact]
    public void OneStorageKeyWithTwoTypes_IsRefused()
    {
        var pickle = LinearPickle(false, LinearSpecs[0], LinearSpecs[1] with { StorageKey = "0", StorageNumel = 2, StorageType = "DoubleStorage" });
        Rejects(WriteCheckpoint("zip", pickle), "storage '0' is declared as 2 F32 and as 2 F64");
    }

    [Fact]
    public void MissingStorageEntry_IsRefused()
    {
        var storages = new Dictionary<string, byte[]> { ["0"] = F32(1, 2) };
        Rejects(Write("missing.pt", Zip(LinearPickle(false), storages)), "storage '1' has no entry 'archive/data/1'");
    }

    // ---- the zip container ----

    [Theory]
    [InlineData(0.3)]
    [InlineData(0.7)]
    [InlineData(0.99)]
    public void TruncatedZip_IsRefused(double keep)
    {
        var bytes = Zip(LinearPickle(false), LinearStorages);
        Rejects(Write("cut.pt", bytes[..(int)(bytes.Length * keep)]), "not a readable zip archive");
    }

    [Fact]
    public void ZipBomb_DataPickleInflatingTo64MB_IsRefusedWithoutInflating()
    {
        // A valid pickle padded with 64 MB of zeros after STOP: deflates to a few tens of kilobytes.
        var pickle = LinearPickle(false);
        var padded = new byte[pickle.Length + (64 << 20)];
        pickle.CopyTo(padded, 0);
        var bytes = Zip(padded, LinearStorages, compressed: "archive/data.pkl");
        Assert.True(bytes.Length < 1 << 20);
        Rejects(Write("bomb.pt", bytes), "archive/data.pkl", "compressed", "declaring 671091");
    }

    [Fact]
    public void CompressedTensorEntry_IsRefused()
    {
        Rejects(Write("deflated.pt", Zip(LinearPickle(false), LinearStorages, compressed: "archive/data/0")),
            "archive/data/0", "the entry is compressed");
    }

    [Fact]
    public void DamagedLocalHeaderOfTheLastStorage_IsRefusedBeforeTheFirstCopy()
    {
        // The central directory is intact, so the file opens; the local header of archive/data/1 (read only
        // when its data is) is not. The check happens before weight is copied from archive/data/0.
        var bytes = Zip(LinearPickle(false), LinearStorages);
        var name = "archive/data/1"u8.ToArray();
        int at = -1;
        for (int i = 0; i + 30 + name.Length <= bytes.Length; i++)
            if (bytes[i] == 'P' && bytes[i + 1] == 'K' && bytes[i + 2] == 3 && bytes[i + 3] == 4 && bytes.AsSpan(i + 30, name.Length).SequenceEqual(name))
                at = i;
        Assert.True(at >= 0);
        bytes[at + 3] = 0x7f;
        Rejects(Write("header.pt", bytes), "archive/data/1", "the entry cannot be read");
    }

    [Fact]
    public void ZipWithoutDataPickle_IsRefused()
    {
        var bytes = ZipOf(new[] { ("archive/data/0", F32(1, 2)) });
        Rejects(Write("nopickle.pt", bytes), "no '<name>/data.pkl' entry");
    }

    // ---- the pickle itself ----

    [Fact]
    public void DeepNesting_IsRefusedAtTheLimit()
    {
        var p = new PickleBuilder().Proto();
        for (int i = 0; i < 100_000; i++) p.Mark();
        var e = Rejects(WriteCheckpoint("zip", p.Stop().ToArray()), $"MARK nesting deeper than {RestrictedUnpickler.MaxMarkDepth}");
        Assert.Contains($"pickle offset {2 + RestrictedUnpickler.MaxMarkDepth}", e.Message);
    }

    [Fact]
    public void DeeplyNestedLists_AreReadWithoutRecursion_AndRefusedAsNotADict()
    {
        // 200,000 lists each inside the next: a recursive reader would overflow its stack.
        const int depth = 200_000;
        var p = new PickleBuilder().Proto();
        for (int i = 0; i < depth; i++) p.EmptyList();
        for (int i = 1; i < depth; i++) p.Op((byte)'a');
        Rejects(WriteCheckpoint("zip", p.Stop().ToArray()), "the data pickle holds a list, not a dict of tensors");
    }

    [Fact]
    public void PickleWithoutStop_IsRefused()
    {
        var pickle = LinearPickle(false);
        Rejects(WriteCheckpoint("zip", pickle[..^1]), "ends without STOP (truncated)");
    }

    [Fact]
    public void MemoGetOfNothing_IsRefused()
    {
        var pickle = new PickleBuilder().Proto().Op((byte)'h').Op(7).Stop().ToArray();
        Rejects(WriteCheckpoint("zip", pickle), "GET of memo 7, which was never put", "pickle offset 2");
    }

    [Fact]
    public void StringLongerThanThePickle_IsRefusedBeforeAllocating()
    {
        var pickle = new PickleBuilder().Proto().Op((byte)'X').Raw(0xff, 0xff, 0xff, 0x7f).Stop().ToArray();
        Rejects(WriteCheckpoint("zip", pickle), "a string of 2147483647 bytes runs past the end of the pickle");
    }

    [Fact]
    public void NoTensors_IsRefusedWithTheKeysFound()
    {
        var pickle = new PickleBuilder().Proto().EmptyDict().Mark().Str("epoch").Int(3).Str("arch").Str("resnet").SetItems().Stop().ToArray();
        Rejects(WriteCheckpoint("zip", pickle), "no tensors found", "epoch, arch");
    }

    // ---- the legacy container ----

    [Fact]
    public void LegacyWithoutTheMagicNumber_IsRefused()
    {
        var bytes = Legacy(LinearPickle(true), LinearLegacyStorages);
        bytes[5] ^= 0xff;
        Rejects(Write("magic.pt", bytes), "not torch's legacy magic number");
    }

    [Fact]
    public void LegacyStorageCountDisagreeingWithThePickle_IsRefused()
    {
        var storages = new List<(string, long, byte[])> { ("0", 2, F32(1, 2)), ("1", 2, F32(3, 4)) };
        Rejects(Write("count.pt", Legacy(LinearPickle(true), storages)), "storage '1' has 2 elements in the file and 1 in the pickle", "file offset");
    }

    [Fact]
    public void LegacyStorageCut_IsRefused()
    {
        var bytes = Legacy(LinearPickle(true), LinearLegacyStorages);
        Rejects(Write("cut-legacy.pt", bytes[..^2]), "storage '1' needs 4 bytes; the file has 2 left (truncated)");
    }

    [Fact]
    public void LegacyKeyListNamingAnUnusedStorage_IsRefused()
    {
        var storages = new List<(string, long, byte[])> { ("0", 2, F32(1, 2)), ("1", 1, F32(3)), ("9", 1, F32(0)) };
        Rejects(Write("unused.pt", Legacy(LinearPickle(true), storages)), "the storage key list names 9, which no tensor uses");
    }

    [Fact]
    public void LegacyStorageNeverStored_IsRefused()
    {
        var storages = new List<(string, long, byte[])> { ("0", 2, F32(1, 2)) };
        Rejects(Write("unstored.pt", Legacy(LinearPickle(true), storages)), "storage '1' is used by a tensor but not stored in the file");
    }

    // ---- not a weight file ----

    [Theory]
    [InlineData(new byte[0])]
    [InlineData(new byte[] { 1, 2, 3 })]
    [InlineData(new byte[] { (byte)'G', (byte)'I', (byte)'F', (byte)'8', (byte)'9', (byte)'a', 0, 0, 0, 0 })]
    public void UnknownContent_IsRefused(byte[] bytes)
    {
        Rejects(Write("unknown.pt", bytes), "neither safetensors");
    }
}
