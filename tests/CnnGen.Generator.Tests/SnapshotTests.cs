namespace CnnGen.Generator.Tests;

/// <summary>The generated source of a few networks, reviewed once and kept as snapshots.</summary>
public class SnapshotTests
{
    [Theory]
    [InlineData("lenet5.cnn.yaml", "LeNet5")]
    [InlineData("resnet18.cnn.yaml", "ResNet18")]
    [InlineData("vgg16_bn.cnn.yaml", "Vgg16Bn")]
    // split with an identity part, channel shuffle
    [InlineData("shufflenet_v2.cnn.yaml", "ShuffleNetV2")]
    // permute to channels-last and back, layer norm (both layouts), layer scale, stochastic depth
    [InlineData("convnext.cnn.yaml", "ConvNeXtTiny")]
    public void Generated_source_matches_snapshot(string file, string name)
    {
        var result = Pipeline.CompileZoo(file);
        Assert.Empty(result.Problems);
        Snapshot.Verify(result.Source!, name);
    }

    [Fact]
    public void Same_input_gives_byte_identical_output()
    {
        var first = Pipeline.CompileZoo("resnet50.cnn.yaml").Source;
        var second = Pipeline.CompileZoo("resnet50.cnn.yaml").Source;
        Assert.Equal(first, second);
    }

    [Fact]
    public void Snapshot_diff_shows_the_changed_lines()
    {
        var diff = Snapshot.Diff("a\nb\nc\nd", "a\nb\nX\nd");
        Assert.Contains("- c", diff);
        Assert.Contains("+ X", diff);
        Assert.Contains("@@ line 3 @@", diff);
    }
}
