using CnnGen.Runtime.Weights;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests.Safetensors;

/// <summary>Strict loads report every mismatch in one exception and touch nothing; non-strict loads what fits.</summary>
public sealed class StrictLoadTests : SafetensorsTestBase
{
    /// <summary>
    /// A checkpoint for a 5-class TinyNet with three tensors dropped and one foreign tensor added:
    /// against a 3-class TinyNet that is 3 missing, 1 unexpected and 2 shape mismatches (fc.weight, fc.bias).
    /// </summary>
    private string WriteMismatchedCheckpoint(out Dictionary<string, Tensor> written)
    {
        using var source = new TinyNet(classes: 5);
        source.Randomize(seed: 7);
        written = source.Snapshot();
        written.Remove("conv1.bias");
        written.Remove("layer1.0.bn.running_mean");
        written.Remove("layer1.0.bn.weight");
        written["head.extra.weight"] = ones(2, 2);
        var path = PathFor("mismatched.safetensors");
        SafetensorsWriter.Write(path, written);
        return path;
    }

    [Fact]
    public void Strict_ReportsMissingUnexpectedAndShapeMismatchesInOneException()
    {
        var path = WriteMismatchedCheckpoint(out _);
        using var module = new TinyNet(classes: 3);

        var e = Assert.Throws<SafetensorsLoadException>(() => module.LoadSafetensors(path));

        Assert.Contains("3 missing keys: conv1.bias, layer1.0.bn.weight, layer1.0.bn.running_mean", e.Message);
        Assert.Contains("1 unexpected key: head.extra.weight", e.Message);
        Assert.Contains("2 shape mismatches: ", e.Message);
        Assert.Contains("fc.weight file [5,8] vs module [3,8]", e.Message);
        Assert.Contains("fc.bias file [5] vs module [3]", e.Message);
        Assert.Equal(path, e.Path);
        Assert.Equal(new[] { "conv1.bias", "layer1.0.bn.weight", "layer1.0.bn.running_mean" }, e.Report.MissingKeys);
        Assert.Equal(new[] { "head.extra.weight" }, e.Report.UnexpectedKeys);
        Assert.Equal(new[] { "fc.weight", "fc.bias" }, e.Report.ShapeMismatches.Select(m => m.Key));
        Assert.Equal(new long[] { 5, 8 }, e.Report.ShapeMismatches[0].FileShape);
        Assert.Equal(new long[] { 3, 8 }, e.Report.ShapeMismatches[0].ModuleShape);
        Assert.Equal(0, e.Report.LoadedCount);
    }

    [Fact]
    public void StrictFailure_LeavesTheModuleUntouched()
    {
        var path = WriteMismatchedCheckpoint(out _);
        using var module = new TinyNet(classes: 3);
        module.Randomize(seed: 8);
        var before = module.Snapshot();

        Assert.Throws<SafetensorsLoadException>(() => module.LoadSafetensors(path));

        foreach (var (key, tensor) in module.state_dict())
            TensorAssert.Equal(before[key], tensor, key);
    }

    [Fact]
    public void NonStrict_LoadsWhatMatchesAndReportsTheRest()
    {
        var path = WriteMismatchedCheckpoint(out var written);
        using var module = new TinyNet(classes: 3);
        module.Randomize(seed: 9);
        var before = module.Snapshot();

        var report = module.LoadSafetensors(path, strict: false);

        Assert.True(report.HasProblems);
        Assert.Equal(3, report.MissingKeys.Count);
        Assert.Single(report.UnexpectedKeys);
        Assert.Equal(2, report.ShapeMismatches.Count);
        var state = module.state_dict();
        // TinyNet has 9 state-dict tensors: 3 missing and 2 mismatched leave 4 to load.
        Assert.Equal(9, state.Count);
        Assert.Equal(new[] { "conv1.weight", "layer1.0.bn.bias", "layer1.0.bn.num_batches_tracked", "layer1.0.bn.running_var" },
            report.LoadedKeys.Order(StringComparer.Ordinal));
        foreach (var key in report.LoadedKeys)
            TensorAssert.Equal(written[key], state[key], key);
        foreach (var key in new[] { "conv1.bias", "layer1.0.bn.weight", "layer1.0.bn.running_mean", "fc.weight", "fc.bias" })
            TensorAssert.Equal(before[key], state[key], key);
        Assert.Contains("loaded 4 tensors", report.ToString());
    }

    [Fact]
    public void Message_ListsTheFirstFiveAndCountsTheRest()
    {
        var path = PathFor("empty.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor>());
        using var module = new TinyNet();

        var e = Assert.Throws<SafetensorsLoadException>(() => module.LoadSafetensors(path));

        // 9 keys, less the tolerated counter: 8 missing, 5 named, 3 more.
        Assert.Contains("8 missing keys: conv1.weight, conv1.bias, ", e.Message);
        Assert.Contains(", ... (3 more)", e.Message);
        Assert.DoesNotContain("num_batches_tracked", e.Message);
        Assert.Equal(new[] { "layer1.0.bn.num_batches_tracked" }, e.Report.IgnoredKeys);
    }

    [Fact]
    public void CounterMissingFromFile_IsTolerated()
    {
        using var source = new TinyNet();
        source.Randomize(seed: 10);
        var tensors = source.Snapshot();
        tensors.Remove("layer1.0.bn.num_batches_tracked");
        var path = PathFor("no-counter.safetensors");
        SafetensorsWriter.Write(path, tensors);
        using var module = new TinyNet();
        module.Bn.num_batches_tracked!.fill_(42);

        var report = module.LoadSafetensors(path);

        Assert.False(report.HasProblems);
        Assert.Equal(new[] { "layer1.0.bn.num_batches_tracked" }, report.IgnoredKeys);
        Assert.Equal(8, report.LoadedCount);
        Assert.Equal(42L, TensorAssert.Count(module.Bn.num_batches_tracked!));
        TensorAssert.Equal(tensors["layer1.0.bn.running_var"], module.Bn.running_var!, "running_var");
    }

    [Fact]
    public void CounterMissingFromModule_IsTolerated()
    {
        using var source = new TinyNet();
        var tensors = source.Snapshot();
        // As a checkpoint of a network with one more BatchNorm than the module would hold.
        tensors["layer2.0.bn.num_batches_tracked"] = tensor(5L);
        var path = PathFor("extra-counter.safetensors");
        SafetensorsWriter.Write(path, tensors);
        using var module = new TinyNet();

        var report = module.LoadSafetensors(path);

        Assert.Empty(report.UnexpectedKeys);
        Assert.Equal(new[] { "layer2.0.bn.num_batches_tracked" }, report.IgnoredKeys);
        Assert.Equal(9, report.LoadedCount);
    }

    [Fact]
    public void MalformedFile_LeavesTheModuleUntouchedToo()
    {
        var path = WriteRaw("bad.safetensors", "{\"fc.weight\": {\"dtype\": \"F32\", \"shape\": [3, 8], \"data_offsets\": [0, 96]}}", new byte[50]);
        using var module = new TinyNet();
        var before = module.Snapshot();

        Assert.Throws<SafetensorsFormatException>(() => module.LoadSafetensors(path, strict: false));

        foreach (var (key, t) in module.state_dict())
            TensorAssert.Equal(before[key], t, key);
    }
}
