using CnnGen.Runtime;
using CnnGen.Runtime.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// ForwardFeatureMaps returns the FeatureInfo taps: checked against torchvision's own
/// <c>create_feature_extractor</c> on the same weights and input, with the tap names as its node names (so a
/// name that is not torchvision's module path fails there), and against itself asked for one stage at a time.
/// </summary>
public class FeatureMapsTests(ITestOutputHelper output)
{
    public static TheoryData<string> Networks() => new()
    {
        "AlexNet", "Vgg16Bn", "ResNet50", "DenseNet121", "GoogLeNet", "InceptionV3", "MobileNetV2", "MobileNetV3Large",
        "EfficientNetB0", "ShuffleNetV2", "RegNetY400MF", "ConvNeXtTiny",
        // Dense networks, tapped along their encoder (stages their decoder reads later are live at the taps).
        "FcnResNet50", "DeepLabV3ResNet50", "LRASPPMobileNetV3Large", "ResNet50Fpn",
    };

    private static IReadOnlyList<FeatureInfo> Info(NetworkInfo info) =>
        (IReadOnlyList<FeatureInfo>)info.Type.GetProperty("FeatureInfo")!.GetValue(null)!;

    /// <summary>The stages flag for the taps at <paramref name="indices"/>.</summary>
    private static object Stages(NetworkInfo info, params int[] indices) =>
        Enum.ToObject(info.Type.GetNestedType("FeatureStage")!, indices.Aggregate(0L, (flags, i) => flags | (1L << i)));

    private static IReadOnlyList<Tensor> Maps(object model, Tensor input, object stages)
    {
        var maps = ((dynamic)model).ForwardFeatureMaps(input, (dynamic)stages);
        return ((dynamic)maps).ToList();
    }

    [Theory]
    [MemberData(nameof(Networks))]
    public void The_feature_maps_are_torchvisions(string name)
    {
        var info = Zoo.Get(name);
        var taps = Info(info);
        // A dilated backbone (FCN, DeepLabV3) has three levels: reductions 2, 4 and 8.
        Assert.True(taps.Count >= 3, $"{name} has {taps.Count} feature maps");
        var key = Zoo.TorchvisionKey[name]!;
        using var model = info.CreateModule();
        Assert.False(model.LoadSafetensors(Path.Combine(ReferenceData.Get(key), "weights.safetensors")).HasProblems);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var io = SafetensorsFile.Open(Path.Combine(ReferenceData.Get(key), "io.safetensors"));
        using var reference = SafetensorsFile.Open(Path.Combine(ReferenceData.GetFeatureMaps(key, taps.Select(tap => tap.Name).ToList()), "features.safetensors"));
        var input = io.ReadTensor("input");

        var all = Maps(model, input, Stages(info, Enumerable.Range(0, taps.Count).ToArray()));
        Assert.Equal(taps.Count, all.Count);
        for (var i = 0; i < taps.Count; i++)
        {
            var expected = reference.ReadTensor(taps[i].Name);
            Assert.Equal(new[] { input.shape[0] }.Concat(taps[i].Shape), all[i].shape);
            Assert.Equal(expected.shape, all[i].shape);
            var difference = (all[i] - expected).abs().max().item<float>();
            var magnitude = expected.abs().max().item<float>();
            output.WriteLine($"{name} {taps[i].Name} ({taps[i].Reduction}x, {taps[i].Channels} ch): max |difference| {difference:E2} of max {magnitude:G4}");
            Assert.True(difference <= 1e-4 * magnitude, $"{name} {taps[i].Name}: max |difference| {difference:E3}, max |map| {magnitude:G4}");
        }

        // One stage alone (the forward stops after it) is the same map: no later step overwrote a kept map in place.
        for (var i = 0; i < taps.Count; i++)
        {
            var alone = Maps(model, input, Stages(info, i));
            Assert.Single(alone);
            Assert.True(alone[0].equal(all[i]).all().item<bool>(), $"{name} {taps[i].Name}: alone differs from among all");
        }
    }

    [Theory]
    [InlineData("ResNet18")]
    [InlineData("EfficientNetB0")]
    [InlineData("DenseNet121")]
    // Dense networks: stopping after the third map frees the earlier stages their decoder would have read.
    [InlineData("ResNet50Fpn")]
    [InlineData("UNetPadded")]
    [InlineData("YOLOv8n")]
    public void Only_the_maps_asked_for_are_left_and_the_inference_form_gives_the_same(string name)
    {
        var info = Zoo.Get(name);
        var taps = Info(info);
        using var model = info.CreateModule();
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = randn(new[] { 2L }.Concat(info.InputShape).ToArray());
        var eval = Maps(model, input, Stages(info, 1, taps.Count - 1));
        Assert.Equal(2, eval.Count);

        // Every tensor made on the way and every map not asked for is freed.
        using (var inner = NewDisposeScope())
        {
            var maps = Maps(model, input, Stages(info, 0, 2));
            var left = inner.DisposablesView.Count(d => !maps.Any(map => ReferenceEquals(map, d)));
            Assert.True(left == 0, $"{name}: {left} tensors left besides the two maps");
        }

        Assert.Throws<ArgumentOutOfRangeException>(() => Maps(model, input, Stages(info, taps.Count)));

        // Each map alone is the one among all, with the shape FeatureInfo gives.
        var all = Maps(model, input, Stages(info, Enumerable.Range(0, taps.Count).ToArray()));
        for (var i = 0; i < taps.Count; i++)
        {
            Assert.Equal(new[] { 2L }.Concat(taps[i].Shape), all[i].shape);
            var alone = Maps(model, input, Stages(info, i));
            Assert.True(alone.Single().equal(all[i]).all().item<bool>(), $"{name} {taps[i].Name}: alone differs from among all");
        }

        ((IGeneratedNetwork)model).ConvertToInference();
        var inference = Maps(model, input, Stages(info, 1, taps.Count - 1));
        for (var i = 0; i < 2; i++)
        {
            var magnitude = eval[i].abs().max().item<float>();
            Assert.True((inference[i] - eval[i]).abs().max().item<float>() <= 1e-4 * magnitude, $"{name}: the inference form's map {i} differs");
        }
    }
}
