using CnnGen.Generator.Emit;
using CnnGen.Generator.Layers;

namespace CnnGen.Generator.Tests;

/// <summary>
/// The two layer kinds LeNet-5 (LeCun et al. 1998) needs: trainable subsampling (S2, S4) and the
/// C3 convolution with the partial connection table of Table I.
/// </summary>
public class LeNetPaperLayerTests
{
    private static CompileResult Compile(string input, string layers) =>
        Pipeline.Compile($"name: Net\ninput: {input}\nlayers:\n{layers}");

    [Fact]
    public void Subsample_halves_the_maps_with_one_coefficient_and_one_bias_per_map()
    {
        var result = Compile("[6, 28, 28]", "  s2: subsample(k=2)\n");
        Assert.Empty(result.Problems);
        var model = result.Model!;
        Assert.Equal("6x14x14", model.Output!.ToString());
        Assert.Equal(12, model.ParameterCount);
        Assert.Equal("new CnnGen.Runtime.TrainableSubsample(6, 2)", ModuleConstruction.Of(model.Root.Children.Single(), "s2", model));
        Assert.Equal("CnnGen.Runtime.TrainableSubsample", ModuleConstruction.TypeOf(model.Root.Children.Single()));

        // The default window is 2x2; a 3x3 window floors like pooling (16x10x10 -> 16x3x3).
        Assert.Equal("16x5x5", Compile("[16, 10, 10]", "  s4: subsample\n").Model!.Output!.ToString());
        var three = Compile("[16, 10, 10]", "  s: subsample(3)\n").Model!;
        Assert.Equal("16x3x3", three.Output!.ToString());
        Assert.Equal(32, three.ParameterCount);
    }

    [Fact]
    public void Subsample_with_a_window_larger_than_the_map_or_on_a_vector_is_reported()
    {
        var tooLarge = Compile("[6, 4, 4]", "  s: subsample(k=5)\n");
        Assert.Contains(tooLarge.Problems, p => p.Id == "CNN0009" && p.Message.Contains("a 5x5 window does not fit in 4x4"));

        var flat = Compile("[6, 4, 4]", "  f: flatten\n  s: subsample\n");
        Assert.Contains(flat.Problems, p => p.Id == "CNN0018" && p.Message.Contains("'s' (subsample)"));
    }

    [Fact]
    public void Table_conv_counts_only_the_connected_kernels_of_table_one()
    {
        var result = Compile("[6, 14, 14]", "  c3: tableconv(16, k=5)\n");
        Assert.Empty(result.Problems);
        var model = result.Model!;
        Assert.Equal("16x10x10", model.Output!.ToString());
        Assert.Equal(60 * 25 + 16, model.ParameterCount);
        var c3 = model.Root.Children.Single();
        Assert.Equal("CnnGen.Runtime.TableConv2d", ModuleConstruction.TypeOf(c3));
        var construction = ModuleConstruction.Of(c3, "c3", model);
        Assert.StartsWith("new CnnGen.Runtime.TableConv2d(6, 16, new int[][] { new[] { 0, 1, 2 }, new[] { 1, 2, 3 },", construction);
        Assert.EndsWith("new[] { 0, 1, 2, 3, 4, 5 } }, kernel: (5, 5), stride: (1, 1), padding: (0, 0))", construction);

        Assert.Equal(60 * 25, Compile("[6, 14, 14]", "  c3: tableconv(16, k=5, bias=false)\n").Model!.ParameterCount);
        Assert.Equal("16x14x14", Compile("[6, 14, 14]", "  c3: tableconv(16, k=5, p=2)\n").Model!.Output!.ToString());
    }

    [Fact]
    public void The_connection_table_is_table_one_of_the_paper()
    {
        var table = TableConvLayer.LeCunC3;
        Assert.Equal(16, table.Length);
        Assert.Equal(60, table.Sum(row => row.Length));
        Assert.All(table, row => Assert.Equal(row.Distinct().Order(), row));
        Assert.All(table.SelectMany(row => row), map => Assert.InRange(map, 0, 5));
        // Maps 0-5 see 3 neighbouring S2 maps, 6-11 four neighbouring, 12-14 four non-neighbouring, 15 all six.
        for (var j = 0; j < 6; j++)
        {
            Assert.Equal(Enumerable.Range(j, 3).Select(i => i % 6).Order(), table[j]);
            Assert.Equal(Enumerable.Range(j, 4).Select(i => i % 6).Order(), table[6 + j]);
        }
        Assert.Equal(new[] { 0, 1, 3, 4 }, table[12]);
        Assert.Equal(new[] { 1, 2, 4, 5 }, table[13]);
        Assert.Equal(new[] { 0, 2, 3, 5 }, table[14]);
        Assert.Equal(new[] { 0, 1, 2, 3, 4, 5 }, table[15]);
        // Every S2 map feeds 10 of the 16 C3 maps.
        Assert.All(Enumerable.Range(0, 6), i => Assert.Equal(10, table.Count(row => row.Contains(i))));
    }

    [Fact]
    public void Table_conv_refuses_other_channel_counts_than_the_table_has()
    {
        var wrongInput = Compile("[8, 14, 14]", "  c3: tableconv(16, k=5)\n");
        Assert.Contains(wrongInput.Problems, p => p.Id == "CNN0008" && p.Message.Contains("takes exactly 6 input maps"));

        var wrongOutput = Compile("[6, 14, 14]", "  c3: tableconv(12, k=5)\n");
        Assert.Contains(wrongOutput.Problems, p => p.Id == "CNN0007" && p.Message.Contains("must be 16"));

        var tooLarge = Compile("[6, 4, 4]", "  c3: tableconv(16, k=5)\n");
        Assert.Contains(tooLarge.Problems, p => p.Id == "CNN0009");
    }

    [Fact]
    public void LeNet5_of_the_paper_has_sixty_thousand_parameters_layer_by_layer()
    {
        var result = Pipeline.CompileZoo("lenet5_1998.cnn.yaml");
        Assert.Empty(result.Problems);
        var model = result.Model!;
        Assert.Equal("LeNet5Paper", model.ClassName);
        var counts = model.Layers.Where(row => row.Parameters > 0).ToDictionary(row => row.Path, row => row.Parameters);
        Assert.Equal(new Dictionary<string, long> { ["c1"] = 156, ["s2"] = 12, ["c3"] = 1516, ["s4"] = 32, ["c5"] = 48120, ["f6"] = 10164 }, counts);
        Assert.Equal(60000, model.ParameterCount);
        Assert.Equal("84", model.Output!.ToString());
    }
}
