using CnnGen.Runtime.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests.Safetensors;

/// <summary>
/// <see cref="WeightsOptions"/> on a safetensors file and a hand-written module, which gives the head, stem
/// and aux-head names explicitly (generated networks supply them; see the architecture tests' HeadLoadingTests).
/// </summary>
public sealed class LoadOptionsTests : SafetensorsTestBase
{
    private string SaveTinyNet(string name, int classes = 3, int seed = 1, (string Key, Tensor Value)? extra = null)
    {
        using var source = new TinyNet(classes);
        source.Randomize(seed);
        var path = PathFor(name);
        var tensors = source.state_dict().ToDictionary(pair => pair.Key, pair => pair.Value.detach().clone());
        tensors.Remove("layer1.0.bn.num_batches_tracked");
        if (extra is { } added) tensors.Add(added.Key, added.Value);
        SafetensorsWriter.Write(path, tensors, null);
        return path;
    }

    [Fact]
    public void NewHead_with_an_explicit_head_path_keeps_the_head_and_loads_the_rest()
    {
        var path = SaveTinyNet("three.safetensors", classes: 3);
        using var file = SafetensorsFile.Open(path);
        using var model = new TinyNet(classes: 5);
        var before = model.Snapshot();
        Assert.Throws<ArgumentException>(() => model.LoadWeights(path, new WeightsOptions { NewHead = true }));

        var report = model.LoadWeights(path, new WeightsOptions { NewHead = true, HeadPath = "fc" });

        Assert.False(report.HasProblems, report.ToString());
        Assert.Equal(new[] { "fc.bias: new head (file [3], module [5])", "fc.weight: new head (file [3,8], module [5,8])" },
            report.SkippedKeys.Select(note => note.ToString()).Order(StringComparer.Ordinal));
        foreach (var (key, tensor) in model.state_dict().Where(pair => !pair.Key.EndsWith("num_batches_tracked")))
            TensorAssert.Equal(key.StartsWith("fc.") ? before[key] : file.ReadTensor(key), tensor, key);
    }

    [Fact]
    public void AdaptStem_sums_a_3_channel_stem_for_one_channel()
    {
        var path = SaveTinyNet("rgb.safetensors");
        using var file = SafetensorsFile.Open(path);
        using var model = new TinyNet(inChannels: 1);
        Assert.Throws<SafetensorsLoadException>(() => model.LoadWeights(path, new WeightsOptions { StemConvPath = "conv1" }));

        var report = model.LoadWeights(path, new WeightsOptions { AdaptStem = true, StemConvPath = "conv1" });

        Assert.False(report.HasProblems, report.ToString());
        Assert.Equal("conv1.weight", Assert.Single(report.AdaptedKeys).Key);
        using var stored = file.ReadTensor("conv1.weight");
        TensorAssert.Equal(stored.sum(1, keepdim: true), model.conv1.weight!, "conv1.weight");
        TensorAssert.Equal(file.ReadTensor("conv1.bias"), model.conv1.bias!, "conv1.bias");
    }

    [Fact]
    public void Explicit_aux_prefixes_drop_and_report_a_files_aux_head()
    {
        var path = SaveTinyNet("aux.safetensors", extra: ("aux1.fc.weight", ones(3, 4)));
        using var model = new TinyNet();
        Assert.Throws<SafetensorsLoadException>(() => model.LoadWeights(path, new WeightsOptions()));

        var report = model.LoadWeights(path, new WeightsOptions { AuxHeadPrefixes = new[] { "aux1." } });

        Assert.False(report.HasProblems, report.ToString());
        Assert.Equal(new KeyNote("aux1.fc.weight", "aux head not in this class"), Assert.Single(report.SkippedKeys));
        Assert.Contains("skipped 1: aux1.fc.weight: aux head not in this class", report.ToString());
    }
}
