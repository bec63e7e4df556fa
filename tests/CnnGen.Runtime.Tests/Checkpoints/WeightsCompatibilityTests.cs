using System.Buffers.Binary;
using System.Text;
using CnnGen.Runtime.Tests.Safetensors;
using CnnGen.Runtime.Weights;
using CnnGen.Runtime.Weights.Checkpoints;

namespace CnnGen.Runtime.Tests.Checkpoints;

/// <summary>
/// <see cref="WeightsCompatibility.Check"/> gives the report a load gives, from the file's index alone: it is
/// the same match (StateDictMatch and WeightsAdjustments) on a list of expected tensors instead of a module.
/// </summary>
[Collection(PythonCheckpointsCollection.Name)]
public sealed class WeightsCompatibilityTests(PythonCheckpoints python)
{
    private static List<ExpectedTensor> ExpectedOf(TinyNet module) =>
        module.state_dict().Select(pair => new ExpectedTensor(pair.Key, pair.Value.shape, pair.Value.dtype)).ToList();

    private static string Describe(LoadReport report) => string.Join("\n",
        "missing: " + string.Join(",", report.MissingKeys),
        "unexpected: " + string.Join(",", report.UnexpectedKeys),
        "shapes: " + string.Join(",", report.ShapeMismatches),
        "dtypes: " + string.Join(",", report.DtypeMismatches),
        "ignored: " + string.Join(",", report.IgnoredKeys),
        "skipped: " + string.Join(",", report.SkippedKeys),
        "adapted: " + string.Join(",", report.AdaptedKeys),
        "loaded: " + string.Join(",", report.LoadedKeys));

    public static TheoryData<string, int, bool> Cases() => new()
    {
        { "plain_zip.pt", 3, false },
        { "prefixed_legacy.pt", 3, false },
        { "wrapped_state_dict_zip.pt", 3, false },
        // A 5-class module: fc.weight and fc.bias are shape mismatches, or skipped as a new head.
        { "wrapped_prefixed_zip.pt", 5, false },
        { "plain_legacy.pt", 5, true },
        { "float16_zip.pt", 5, true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void Check_gives_the_report_a_non_strict_load_gives(string file, int classes, bool newHead)
    {
        var options = new WeightsOptions { Strict = false, NewHead = newHead, HeadPath = "fc" };
        using var module = new TinyNet(classes);
        var expected = ExpectedOf(module);

        var checkedReport = WeightsCompatibility.Check(python.PathOf(file), expected, options);
        var loadedReport = module.LoadWeights(python.PathOf(file), options);

        Assert.Equal(Describe(loadedReport), Describe(checkedReport));
        Assert.Equal(classes != 3 && !newHead, checkedReport.HasProblems);
    }

    [Fact]
    public void Check_reads_no_tensor_data_a_load_would_fail_on()
    {
        // Every storage entry's local zip header (what a data read goes through) is broken; the index (the
        // central directory and data.pkl) is intact. A load must refuse the file; a check never gets that far.
        var path = Path.Combine(python.Folder, "broken-data-entries.pt");
        var bytes = File.ReadAllBytes(python.PathOf("plain_zip.pt"));
        var broken = BreakLocalHeaders(bytes, name => name.Contains("/data/", StringComparison.Ordinal));
        Assert.True(broken >= 9, $"only {broken} storage entries found");
        File.WriteAllBytes(path, bytes);
        using var module = new TinyNet();

        Assert.Throws<CheckpointFormatException>(() => module.LoadWeights(path));
        var report = WeightsCompatibility.Check(path, ExpectedOf(module), new WeightsOptions());

        Assert.False(report.HasProblems, report.ToString());
        Assert.Equal(9, report.LoadedCount);
    }

    [Fact]
    public void Keys_under_an_unchecked_prefix_are_neither_unexpected_nor_missing()
    {
        using var module = new TinyNet();
        var expected = ExpectedOf(module).Where(tensor => !tensor.Name.StartsWith("layer1.", StringComparison.Ordinal)).ToList();

        var report = WeightsCompatibility.Check(python.PathOf("plain_zip.pt"), expected, new WeightsOptions(), uncheckedPrefixes: new[] { "layer1.0." });

        Assert.False(report.HasProblems, report.ToString());
        Assert.Equal(new[] { "layer1.0.bn.bias", "layer1.0.bn.num_batches_tracked", "layer1.0.bn.running_mean", "layer1.0.bn.running_var", "layer1.0.bn.weight" },
            report.UncheckedKeys);
        Assert.Equal(4, report.LoadedCount);
    }

    /// <summary>Overwrites the signature of every local file header whose name <paramref name="select"/> picks; returns how many.</summary>
    private static int BreakLocalHeaders(byte[] zip, Func<string, bool> select)
    {
        var count = 0;
        for (var offset = 0; offset + 30 <= zip.Length; offset++)
        {
            if (BinaryPrimitives.ReadUInt32LittleEndian(zip.AsSpan(offset)) != 0x04034b50) continue;
            int nameLength = BinaryPrimitives.ReadUInt16LittleEndian(zip.AsSpan(offset + 26));
            if (offset + 30 + nameLength > zip.Length) continue;
            var name = Encoding.UTF8.GetString(zip, offset + 30, nameLength);
            if (!select(name)) continue;
            zip.AsSpan(offset, 4).Fill(0xEE);
            count++;
        }
        return count;
    }
}
