namespace CnnGen.Generator.Tests;

/// <summary>
/// <c>head:</c> and the facts a weight loader reads off a generated class: the head's module path (checked),
/// the stem convolution's path (found), and the prefixes of every declared aux head.
/// </summary>
public class HeadTests
{
    private const string Net = """
        name: Net
        input: [3, 32, 32]
        args: { num_classes: 10 }
        head: classifier.1
        aux:
          aux1: { at: features, when: false, layers: { pool: gap, fc: linear(num_classes) } }
        layers:
          features:
            - conv(8, k=3)
            - relu
          pool: gap
          classifier:
            - dropout(0.5)
            - linear(num_classes)
        """;

    [Fact]
    public void The_head_stem_and_declared_aux_heads_are_emitted()
    {
        var result = Pipeline.Compile(Net);
        Assert.Empty(result.Problems);
        Assert.Contains("public string? HeadPath => \"classifier.1\";", result.Source);
        Assert.Contains("public string? StemConvPath => \"features.0\";", result.Source);
        // aux1 is left out (when: false) but declared, so a file's aux1.* can be recognised.
        Assert.Contains("public IReadOnlyList<string> AuxHeadPrefixes => new[] { \"aux1.\" };", result.Source);
    }

    [Fact]
    public void Without_head_or_aux_the_facts_are_null_and_empty()
    {
        var result = Pipeline.Compile("name: Net\ninput: [3, 32, 32]\nlayers:\n  pool: gap\n  fc: linear(10)\n");
        Assert.Empty(result.Problems);
        Assert.Contains("public string? HeadPath => null;", result.Source);
        Assert.Contains("public string? StemConvPath => null;", result.Source);
        Assert.Contains("public IReadOnlyList<string> AuxHeadPrefixes => System.Array.Empty<string>();", result.Source);
    }

    [Fact]
    public void A_head_that_names_no_module_is_CNN0003_at_its_value_with_the_nearest_path()
    {
        var result = Pipeline.Compile(Net.Replace("head: classifier.1", "head: clasifier.1"));
        var problem = Assert.Single(result.Problems, p => p.Id == "CNN0003");
        Assert.Equal((4, 7), (problem.Span.StartLine + 1, problem.Span.StartColumn + 1));
        Assert.Contains("'head'", problem.Message);
        Assert.Contains("names no module of Net", problem.Message);
        Assert.Contains("did you mean 'classifier.1'", problem.Message);
    }

    [Theory]
    [InlineData("resnet50.cnn.yaml", "fc", "conv1")]
    [InlineData("vgg16_bn.cnn.yaml", "classifier.6", "features.0")]
    [InlineData("mobilenet_v3.cnn.yaml", "classifier.3", "features.0.0")]
    [InlineData("googlenet.cnn.yaml", "fc", "conv1.conv")]
    public void Zoo_heads_name_torchvision_modules(string file, string head, string stem)
    {
        var result = CnnGen.Generator.CompileNetwork.Run(Pipeline.ZooPath(file), File.ReadAllText(Pipeline.ZooPath(file)), "CnnGen.Architectures");
        Assert.Empty(result.Problems);
        foreach (var network in result.Networks)
        {
            Assert.Contains($"public string? HeadPath => \"{head}\";", network.Source);
            Assert.Contains($"public string? StemConvPath => \"{stem}\";", network.Source);
        }
    }
}

/// <summary><c>input: [in_channels, H, W]</c>: the stem's input channels as a constructor argument.</summary>
public class InputChannelArgumentTests
{
    [Fact]
    public void Input_channels_may_name_a_model_argument_counted_at_its_default()
    {
        var result = Pipeline.Compile("name: Net\ninput: [in_channels, 32, 32]\nargs: { in_channels: 3 }\nlayers:\n  conv1: conv(8, k=3, bias=false)\n  pool: gap\n");
        Assert.Empty(result.Problems);
        Assert.Contains("public Net(int inChannels = 3)", result.Source);
        Assert.Contains("public const long ParameterCount = 216L;", result.Source); // 8 x 3 x 3 x 3
        Assert.Contains("Conv2d(inChannels, 8", result.Source);
        Assert.Contains("InputCheck.RequireAtLeast(input, nameof(Net), inChannels,", result.Source);
    }

    [Fact]
    public void Input_channels_naming_no_argument_is_CNN0003()
    {
        var result = Pipeline.Compile("name: Net\ninput: [in_chans, 32, 32]\nargs: { in_channels: 3 }\nlayers:\n  conv1: conv(8, k=3)\n");
        var problem = Assert.Single(result.Problems, p => p.Id == "CNN0003");
        Assert.Contains("'in_chans' must be a positive integer (or the name of an integer model argument)", problem.Message);
    }
}
