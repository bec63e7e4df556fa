using CnnGen.Architectures;
using CnnGen.Runtime.Weights;
using TorchSharp;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// Issue 14 item 2: files whose ends differ from the class load under <see cref="WeightsOptions"/>, with every
/// handled key reported. The files are torchvision's own state dicts saved with torch.save
/// (tests/fixtures/torchvision/make_head_cases.py, run once per script version into the reference cache):
/// googlenet and inception_v3 with their aux heads, a 1000-class resnet50, a resnet18 and its conv1 adapted
/// to 1 and 4 input channels by timm's adapt_input_conv, computed in Python.
/// </summary>
public class HeadLoadingTests(ITestOutputHelper output)
{
    private static readonly Lazy<string> Cases = new(ReferenceData.GetHeadCases);

    private static string Case(string file) => Path.Combine(Cases.Value, file);

    /// <summary>Copies of every state-dict tensor, to compare a module after a load with.</summary>
    private static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(pair => pair.Key, pair => pair.Value.detach().clone());

    private static void AssertEqualTensors(string key, Tensor expected, Tensor actual) =>
        Assert.True(expected.shape.SequenceEqual(actual.shape) && expected.to_type(actual.dtype).eq(actual).all().item<bool>(), $"{key} differs");

    [Theory]
    [InlineData("GoogLeNet", "googlenet", "aux1.", "aux2.")]
    [InlineData("InceptionV3", "inception_v3", "AuxLogits.", null)]
    public void A_torchvision_file_with_aux_heads_loads_into_the_class_without_them(string name, string file, string prefix1, string? prefix2)
    {
        using var model = Zoo.Get(name).Create();
        using var withAux = Zoo.Get(name + "Aux").Create();
        var auxKeys = withAux.state_dict().Keys.Where(key => key.StartsWith(prefix1) || (prefix2 is not null && key.StartsWith(prefix2))).ToList();
        Assert.NotEmpty(auxKeys);

        var report = model.LoadWeights(Case(file + ".pth"), new WeightsOptions());
        output.WriteLine(report.ToString());
        Assert.False(report.HasProblems, report.ToString());
        Assert.Equal(auxKeys.Order(StringComparer.Ordinal), report.SkippedKeys.Select(note => note.Key).Order(StringComparer.Ordinal));
        Assert.All(report.SkippedKeys, note => Assert.Equal("aux head not in this class", note.Reason));
        Assert.Equal(model.state_dict().Count, report.LoadedCount);

        // The aux heads only feed training-time outputs: the eval output is torchvision's for the same file.
        EvalOutput.AssertMatches(output, name, model, Case(file + "_io.safetensors"));
    }

    [Fact]
    public void Aux_heads_are_unexpected_keys_when_not_dropped_and_a_strict_load_throws_untouched()
    {
        using var model = new GoogLeNet();
        var before = Snapshot(model);
        var error = Assert.Throws<WeightsLoadException>(() => model.LoadWeights(Case("googlenet.pth"), new WeightsOptions { DropAuxHeads = false }));
        Assert.Contains("aux1.fc2.weight", error.Report.UnexpectedKeys);
        // The exact load is one explicit argument away from the one-argument call (which drops the aux heads).
        var exact = Assert.Throws<WeightsLoadException>(() => model.LoadWeights(Case("googlenet.pth"), WeightsOptions.Exact));
        Assert.Equal(error.Report.UnexpectedKeys, exact.Report.UnexpectedKeys);
        Assert.Empty(exact.Report.SkippedKeys);
        foreach (var (key, tensor) in model.state_dict()) AssertEqualTensors(key, before[key], tensor);
    }

    [Fact]
    public void A_10_class_ResNet50_loads_a_1000_class_file_with_NewHead_and_keeps_its_head()
    {
        using var reference = new ResNet50();
        Assert.False(reference.LoadWeights(Case("resnet50.pth")).HasProblems);
        using var model = new ResNet50(numClasses: 10);
        var before = Snapshot(model);

        var report = model.LoadWeights(Case("resnet50.pth"), new WeightsOptions { NewHead = true });
        output.WriteLine(report.ToString());

        Assert.False(report.HasProblems, report.ToString());
        Assert.Equal(new[]
        {
            new KeyNote("fc.weight", "new head (file [1000,2048], module [10,2048])"),
            new KeyNote("fc.bias", "new head (file [1000], module [10])"),
        }, report.SkippedKeys);
        var file = reference.state_dict();
        foreach (var (key, tensor) in model.state_dict())
            AssertEqualTensors(key, key.StartsWith("fc.") ? before[key] : file[key], tensor);
    }

    [Fact]
    public void Without_NewHead_the_1000_class_file_throws_under_strict_and_leaves_the_module_untouched()
    {
        using var model = new ResNet50(numClasses: 10);
        var before = Snapshot(model);
        var error = Assert.Throws<WeightsLoadException>(() => model.LoadWeights(Case("resnet50.pth"), new WeightsOptions()));
        Assert.Equal(new[] { "fc.weight", "fc.bias" }, error.Report.ShapeMismatches.Select(mismatch => mismatch.Key));
        Assert.Empty(error.Report.SkippedKeys);
        foreach (var (key, tensor) in model.state_dict()) AssertEqualTensors(key, before[key], tensor);
    }

    [Theory]
    [InlineData(1, "summed over the 3 input channels")]
    [InlineData(4, "repeated to 4 input channels and scaled by 3/4")]
    public void A_ResNet18_with_another_stem_width_adapts_the_3_channel_stem_as_timm_does(int channels, string rule)
    {
        using var reference = new ResNet18();
        Assert.False(reference.LoadWeights(Case("resnet18.pth")).HasProblems);
        using var model = new ResNet18(inChannels: channels);
        Assert.Equal(channels, model.Conv1.weight!.shape[1]);
        var before = Snapshot(model);
        Assert.Throws<WeightsLoadException>(() => model.LoadWeights(Case("resnet18.pth"), new WeightsOptions()));
        AssertEqualTensors("conv1.weight", before["conv1.weight"], model.Conv1.weight!);

        var report = model.LoadWeights(Case("resnet18.pth"), new WeightsOptions { AdaptStem = true });
        output.WriteLine(report.ToString());

        Assert.False(report.HasProblems, report.ToString());
        var note = Assert.Single(report.AdaptedKeys);
        Assert.Equal("conv1.weight", note.Key);
        Assert.Contains(rule, note.Reason);
        Assert.Contains("conv1.weight", report.LoadedKeys);
        using var adapted = SafetensorsFile.Open(Case("resnet18_stem.safetensors"));
        using var expected = adapted.ReadTensor($"conv1_in{channels}");
        AssertEqualTensors("conv1.weight", expected, model.Conv1.weight!);
        var file = reference.state_dict();
        foreach (var (key, tensor) in model.state_dict().Where(pair => pair.Key != "conv1.weight"))
            AssertEqualTensors(key, file[key], tensor);

        using var scope = NewDisposeScope();
        model.eval();
        Assert.Equal(new long[] { 1, 1000 }, model.forward(randn(1, channels, 64, 64)).shape);
    }

    /// <summary>Every torchvision class of the zoo takes <c>inChannels</c> (timm's <c>in_chans</c>): its stem is sized by it and adapts a 3-channel file.</summary>
    public static TheoryData<string> StemNetworks() => new()
    {
        "AlexNet", "Vgg16Bn", "ResNet50", "DenseNet121", "GoogLeNet", "InceptionV3", "MobileNetV2", "MobileNetV3Large",
        "EfficientNetB0", "ShuffleNetV2", "RegNetY400MF", "ConvNeXtTiny",
    };

    [Theory]
    [MemberData(nameof(StemNetworks))]
    public void Every_zoo_network_takes_another_channel_count_and_adapts_a_3_channel_file(string name)
    {
        var info = Zoo.Get(name);
        var file = Path.Combine(ReferenceData.Get(Zoo.TorchvisionKey[name]!), "weights.safetensors");
        using var model = Zoo.Create(info, "inChannels", 1);
        var stem = ((CnnGen.Runtime.IGeneratedNetwork)model).StemConvPath + ".weight";

        var report = model.LoadWeights(file, new WeightsOptions { AdaptStem = true });

        Assert.False(report.HasProblems, report.ToString());
        Assert.Equal(stem, Assert.Single(report.AdaptedKeys).Key);
        using var source = SafetensorsFile.Open(file);
        using var scope = NewDisposeScope();
        AssertEqualTensors(stem, source.ReadTensor(stem).sum(1, keepdim: true), model.state_dict()[stem]);
        model.eval();
        using var noGrad = no_grad();
        Assert.Equal(new long[] { 2, 1000 }, model.forward(randn(new long[] { 2, 1 }.Concat(info.InputShape.Skip(1)).ToArray())).shape);
    }
}
