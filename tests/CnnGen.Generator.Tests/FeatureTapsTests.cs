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

    [Fact]
    public void A_network_without_a_head_has_no_taps()
    {
        // NiN without its 'head:' line (every zoo file names a head since issue 27).
        var yaml = File.ReadAllText(Pipeline.ZooPath("nin.cnn.yaml")).Replace("head: stage3\n", "");
        var model = Pipeline.Compile(yaml).Models.Single();
        Assert.Null(model.HeadPath);
        Assert.Empty(FeatureTaps.Find(model));
    }

    [Fact]
    public void NiN_with_its_head_has_taps_before_the_last_mlpconv_stage() =>
        Assert.Equal("stage1.5 96/1, stage1 96/2, stage2 192/4", Taps("nin.cnn.yaml"));
}
