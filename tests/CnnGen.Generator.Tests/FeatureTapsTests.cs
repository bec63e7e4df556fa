using CnnGen.Generator.Analysis;

namespace CnnGen.Generator.Tests;

/// <summary>
/// The feature taps are the stage outputs timm lists in its <c>feature_info</c> (module, channels, reduction),
/// found from the forward alone: the last clean cut of each reduction level where the shallowest module ends.
/// </summary>
public class FeatureTapsTests
{
    private static string Taps(string file, string? className = null)
    {
        var result = Pipeline.CompileZoo(file);
        var model = result.Models.Single(m => className is null ? result.Models.Count == 1 : m.ClassName == className);
        return string.Join(", ", FeatureTaps.Find(model).Select(tap => $"{tap.Name} {tap.Shape.Channels.Int}/{tap.Reduction}"));
    }

    [Theory]
    [InlineData("resnet50.cnn.yaml", null, "relu 64/2, layer1 256/4, layer2 512/8, layer3 1024/16, layer4 2048/32")]
    [InlineData("inception_v3.cnn.yaml", "InceptionV3", "Conv2d_2b_3x3 64/2, Conv2d_4a_3x3 192/4, Mixed_5d 288/8, Mixed_6e 768/16, Mixed_7c 2048/32")]
    // Block outputs, not the expansion conv of the next block before its stride (features.2.conv.0).
    [InlineData("mobilenet_v2.cnn.yaml", null, "features.1 16/2, features.3 24/4, features.6 32/8, features.13 96/16, features 1280/32")]
    // The squeeze-and-excitation's pooling is not the head's: the taps go on past the first gated block.
    [InlineData("efficientnet.cnn.yaml", "EfficientNetB0", "features.1 16/2, features.2 24/4, features.3 40/8, features.5 112/16, features 1280/32")]
    // Dense blocks between transitions; torchvision's functional relu after the features is the last.
    [InlineData("densenet.cnn.yaml", "DenseNet121", "features.relu0 64/2, features.denseblock1 256/4, features.denseblock2 512/8, features.denseblock3 1024/16, relu 1024/32")]
    // ConvNeXt's blocks compute channels-last inside; the stages between its downsampling layers are maps.
    [InlineData("convnext.cnn.yaml", null, "features.1 96/4, features.3 192/8, features.5 384/16, features 768/32")]
    public void The_taps_are_the_stage_outputs(string file, string? className, string expected) =>
        Assert.Equal(expected, Taps(file, className));

    // Dense networks are tapped along their encoder, up to the decoder's first upsample or the head's group, with the
    // stages their decoder reads later still live; a name stays inside a backbone that spans several levels.
    [Theory]
    [InlineData("unet.cnn.yaml", "inc 64/1, down1 128/2, down2 256/4, down3 512/8, down4 1024/16")]
    [InlineData("unet_padded.cnn.yaml", "inc 64/1, down1 128/2, down2 256/4, down3 512/8, down4 1024/16")]
    [InlineData("resnet50_fpn.cnn.yaml", "body.relu 64/2, body.layer1 256/4, body.layer2 512/8, body.layer3 1024/16, body.layer4 2048/32")]
    [InlineData("yolov8n.cnn.yaml", "model.0 16/2, model.2 32/4, model.4 64/8, model.6 128/16, model.9 256/32")]
    // Dilated: layer2 to layer4 share reduction 8, and one tap per level is the last, before the classifier's group.
    [InlineData("fcn_resnet50.cnn.yaml", "backbone.relu 64/2, backbone.layer1 256/4, backbone.layer4 2048/8")]
    [InlineData("deeplabv3_resnet50.cnn.yaml", "backbone.relu 64/2, backbone.layer1 256/4, backbone.layer4 2048/8")]
    [InlineData("lraspp_mobilenet_v3.cnn.yaml", "backbone.1 16/2, backbone.3 24/4, backbone.6 40/8, backbone.16 960/16")]
    public void A_dense_network_is_tapped_along_its_encoder(string file, string expected) =>
        Assert.Equal(expected, Taps(file));

    [Fact]
    public void A_network_without_a_head_is_tapped_up_to_its_global_pool()
    {
        // NiN without its 'head:' line: its encoder ends at the global pool, so stage3 (at stage2's level) is the last.
        var yaml = File.ReadAllText(Pipeline.ZooPath("nin.cnn.yaml")).Replace("head: stage3\n", "");
        var model = Pipeline.Compile(yaml).Models.Single();
        Assert.Null(model.HeadPath);
        Assert.Equal("stage1.5 96/1, stage1 96/2, stage3 10/4", string.Join(", ", FeatureTaps.Find(model).Select(tap => $"{tap.Name} {tap.Shape.Channels.Int}/{tap.Reduction}")));
    }

    [Fact]
    public void A_record_network_whose_last_output_is_a_tap_stops_there_and_frees_the_outputs_not_asked_for()
    {
        // Both outputs are taps, the second at the end of the forward: a ForwardFeatureMaps call must return there, not
        // build the record (which nobody would dispose).
        var yaml = "name: TwoStages\ninput: [3, 32, 32]\noutputs: { a: a, b: b }\nlayers:\n  a: conv(8, k=3, s=2, p=1)\n  b: conv(16, k=3, s=2, p=1)\n";
        var result = Pipeline.Compile(yaml);
        Assert.Equal("a 8/2, b 16/4", string.Join(", ", FeatureTaps.Find(result.Models.Single()).Select(tap => $"{tap.Name} {tap.Shape.Channels.Int}/{tap.Reduction}")));
        var source = result.Networks.Single().Source;
        var trunk = source.Substring(source.IndexOf("private Outputs? TrunkSteps", StringComparison.Ordinal));
        Assert.Equal(2, trunk.Split("return null;").Length - 1);
        Assert.Contains("if (maps[0] is null) x1.Dispose();", trunk);
    }

    [Fact]
    public void A_dense_network_of_one_level_has_no_taps()
    {
        var yaml = "name: Flat\ninput: [3, 16, 16]\nlayers:\n  a: conv(8, k=3, p=1)\n  b: relu\n  c: conv(2, k=1)\n";
        Assert.Empty(FeatureTaps.Find(Pipeline.Compile(yaml).Models.Single()));
    }

    [Fact]
    public void NiN_with_its_head_has_taps_before_the_last_mlpconv_stage() =>
        Assert.Equal("stage1.5 96/1, stage1 96/2, stage2 192/4", Taps("nin.cnn.yaml"));
}
