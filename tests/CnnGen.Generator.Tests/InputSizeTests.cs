namespace CnnGen.Generator.Tests;

/// <summary>Layer sizes as formulas of the input size, the smallest valid input, and symbolic inputs.</summary>
public class InputSizeTests
{
    [Fact]
    public void Inception_v3_needs_at_least_75x75_as_torchvision_documents()
    {
        var model = Pipeline.CompileZoo("inception_v3.cnn.yaml").Models[0];
        Assert.Equal((75L, 75L), model.MinimumInput);
        Assert.False(model.FixedInputSize);
    }

    [Fact]
    public void ResNet_sizes_are_formulas_of_the_input()
    {
        var model = Pipeline.CompileZoo("resnet50.cnn.yaml").Model!;
        var conv1 = model.Layers.Single(row => row.Path == "conv1");
        Assert.Equal("64 x floor((H - 1) / 2) + 1 x floor((W - 1) / 2) + 1", conv1.Formula);
        var last = model.Layers.Single(row => row.Path == "layer4.2.conv3");
        Assert.Equal("2048 x floor((H - 1) / 32) + 1 x floor((W - 1) / 32) + 1", last.Formula);
    }

    [Fact]
    public void A_flatten_on_the_raw_feature_map_fixes_the_input_size()
    {
        var model = Pipeline.CompileZoo("lenet5.cnn.yaml").Model!;
        Assert.True(model.FixedInputSize);
        Assert.Equal((32L, 32L), model.MinimumInput);
        Assert.Contains("InputCheck.RequireExactly(input, nameof(LeNet5), 1, 32, 32);", Pipeline.CompileZoo("lenet5.cnn.yaml").Source);
    }

    [Fact]
    public void A_symbolic_input_is_generated_at_its_smallest_valid_size()
    {
        var yaml = "name: Seg\ninput: [3, H, W]\nargs: { num_classes: 5 }\nlayers:\n  c1: conv(16, k=3, s=2, p=1)\n  c2: conv(32, k=3, s=2)\n  head: conv(num_classes, k=1)\n  up: upsample(4)\n";
        var result = Pipeline.Compile(yaml);
        Assert.Empty(result.Problems);
        var model = result.Model!;
        // c2 needs floor((floor((H - 1) / 2) + 1 - 3) / 2) + 1 >= 1, i.e. H >= 5.
        Assert.Equal((5L, 5L), model.MinimumInput);
        Assert.Equal(("H", "W"), model.InputSymbols);
        Assert.Equal("3x5x5", model.Input.ToString());
        Assert.Equal("32 x floor((H - 5) / 4) + 1 x floor((W - 5) / 4) + 1", model.Layers.Single(row => row.Path == "c2").Formula);
        Assert.Contains("public static long[] MinimumInputShape => new long[] { 3, 5, 5 };", result.Source);
        Assert.Contains("InputCheck.RequireAtLeast(input, nameof(Seg), 3, 5, 5);", result.Source);
    }

    [Fact]
    public void CNN0022_a_network_valid_for_no_input_size()
    {
        var yaml = "name: Net\ninput: [3, H, W]\nlayers:\n  mixed:\n    concat:\n      - { a: conv(8, k=1) }\n      - { b: conv(8, k=3, s=2) }\n";
        var problem = Assert.Single(Pipeline.Compile(yaml).Problems);
        Assert.Equal("CNN0022", problem.Id);
        Assert.Equal(1, problem.Span.StartLine);
        Assert.Contains("valid for no input size", problem.Message);

        var flatten = Pipeline.Compile("name: Net\ninput: [1, H, W]\nlayers:\n  c: conv(4, k=3)\n  f: flatten\n  fc: linear(10)\n");
        Assert.Contains(flatten.Problems, p => p.Id == "CNN0022" && p.Message.Contains("flatten"));
    }

    [Fact]
    public void A_stride_2_conv_an_upsample_by_2_and_a_concat_accept_the_sizes_at_which_the_maps_agree()
    {
        // c1 is ceil(H / 2), c2 ceil(H / 4), up 2 * ceil(H / 4): the concat works where ceil(H / 2) is even (H mod 4 in {0, 3}).
        const string yaml = "name: Neck\ninput: [3, 32, 24]\nlayers:\n  c1: conv(8, k=3, s=2, p=1)\n  c2: conv(8, k=3, s=2, p=1)\n  up: upsample(2, bilinear=false)\n  cat: concat(c1, up)\n  out: conv(4, k=1)\n";
        var result = Pipeline.Compile(yaml);
        Assert.Empty(result.Problems);
        var model = result.Model!;
        Assert.False(model.FixedInputSize);
        Assert.Equal((3L, 3L), model.MinimumInput);
        Assert.Equal("8 x 2 * floor((H - 1) / 4) + 2 x 2 * floor((W - 1) / 4) + 2", model.Layers.Single(row => row.Path == "up").Formula);
        var height = model.SizeConstraints.Single(c => c.Height);
        Assert.Equal("cat", height.Where);
        Assert.Equal(6, height.Site.StartLine);
        Assert.All(new long[] { 3, 4, 7, 8, 12, 31, 32, 100 }, h => Assert.True(height.HoldsAt(h), $"H = {h}"));
        Assert.All(new long[] { 1, 2, 5, 6, 9, 10, 30, 101, 102 }, h => Assert.False(height.HoldsAt(h), $"H = {h}"));
        Assert.Contains("public static long[] MinimumInputShape => new long[] { 3, 3, 3 };", result.Source);
        Assert.Contains("InputCheck.RequireAtLeast(input, nameof(Neck), 3, 3, 3, s_sizeConstraints);", result.Source);
        Assert.Contains("public static bool AcceptsInputSize(long height, long width) => InputCheck.Accepts(height, width, 3, 3, s_sizeConstraints);", result.Source);
        Assert.Contains("new(\"cat\", \"net.cnn.yaml(7,8)\", true, new long[] { 1, -1, 2, 1 }, new long[] { 2, -1, 4, 2 }),", result.Source);

        // A network without such joins accepts every size from its minimum.
        var plain = Pipeline.Compile("name: Plain\ninput: [3, 32, 32]\nlayers:\n  c1: conv(8, k=3, s=2, p=1)\n");
        Assert.Empty(plain.Model!.SizeConstraints);
        Assert.Contains("public static bool AcceptsInputSize(long height, long width) => height >= 1 && width >= 1;", plain.Source);
        Assert.DoesNotContain("s_sizeConstraints", plain.Source);
    }

    [Fact]
    public void Joined_formulas_written_differently_but_equal_everywhere_are_no_constraint()
    {
        // floor((H - 1) / 2) + 1 (k1 s2) and floor((H + 2 - 3) / 2) + 1 (k3 s2 p1) are the same function.
        var model = Pipeline.Compile("name: Net\ninput: [3, 33, 33]\nlayers:\n  x: conv(8, k=1)\n  a: conv(8, k=1, s=2, from=x)\n  b: conv(8, k=3, s=2, p=1, from=x)\n  cat: concat(a, b)\n").Model!;
        Assert.Empty(model.SizeConstraints);
        Assert.Equal((1L, 1L), model.MinimumInput);
    }
}
