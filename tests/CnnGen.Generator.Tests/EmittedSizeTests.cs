using System.Text.RegularExpressions;

namespace CnnGen.Generator.Tests;

/// <summary>
/// The emitted code grows linearly with the network: the compiler parses all of it on every build and
/// the driver counts that as generator time (docs/performance.md).
/// </summary>
public class EmittedSizeTests
{
    private static string DenseNet(int layers) => $$"""
        name: Dense
        input: [3, 32, 32]
        args: { growth: 12, width: 4 }
        blocks:
          dense_layer(g):
            norm: bn
            relu: relu
            conv: conv(g, k=3, p=1, bias=false)
        layers:
          stem: conv(2 * growth, k=3, p=1)
          block1:
            dense: {{layers}}x dense_layer(growth) as layer{i+1}
          squeeze: conv(in // 2, k=1)
          block2:
            dense: {{layers}}x dense_layer(growth) as layer{i+1}
          pool: gap
          fc: linear(10)
        """;

    [Theory]
    [InlineData(8)]
    [InlineData(64)]
    public void Channels_that_depend_on_model_arguments_are_named_once_per_dense_layer(int layers)
    {
        var result = Pipeline.Compile(DenseNet(layers));
        Assert.False(result.HasErrors, string.Join("\n", result.Problems));
        var source = result.Source!;

        // Written out in full, the channels of layer k would repeat 'growth' k times (quadratic);
        // named, each layer adds one local: channels_k = channels_(k-1) + growth.
        var mentions = Regex.Matches(source, @"\bgrowth\b").Count;
        Assert.True(mentions <= 6 * layers + 20, $"'growth' appears {mentions} times for 2 x {layers} dense layers:\n{source}");
        Assert.Contains("int channels_2 = channels_1 + growth; // block1: dense input of layer 3", source);
        Assert.Contains("int channels_" + layers + " = channels_" + (layers - 1) + " + growth; // block1: dense output", source);
        Assert.Contains($"(channels_{layers} / 2)", source);
    }

    [Fact]
    public void The_source_per_dense_layer_stays_the_same_as_the_block_grows()
    {
        // The concatenation's argument list is the one part that grows with the block (as torch.cat's
        // list does in torchvision, and the graph's concat node's inputs); without it, the text per layer must not grow.
        static double PerLayer(int layers)
        {
            var source = Pipeline.Compile(DenseNet(layers)).Source!;
            var withoutCat = Regex.Replace(source, @"cat\(new\[\] \{[^}]*\}, 1\)", "cat()");
            withoutCat = Regex.Replace(withoutCat, @"\|concat\|[0-9,]*\|", "|concat||");
            return withoutCat.Length / (2.0 * layers);
        }
        var small = PerLayer(16);
        var large = PerLayer(128);
        Assert.True(large < small * 1.15, $"{small:F0} characters per layer at 16 layers a block, {large:F0} at 128");
    }
}
