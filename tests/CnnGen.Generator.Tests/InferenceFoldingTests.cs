using CnnGen.Generator.Analysis;
using CnnGen.Generator.Emit;

namespace CnnGen.Generator.Tests;

/// <summary>Which batch norms the inference form folds, and into which convolution.</summary>
public class InferenceFoldingTests
{
    private static NetworkModel Model(string layers)
    {
        var result = Pipeline.Compile("name: Net\ninput: [8, 6, 6]\nlayers:\n" + layers);
        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));
        return result.Model!;
    }

    private static IEnumerable<(string Norm, string Conv)> PreActivationFields(NetworkModel model) =>
        InferenceFolding.PlanFor(model).PreActivations.Select(pair => (model.Steps[pair.Key].Field!, model.Steps[pair.Value.Conv].Field!));

    [Fact]
    public void Batch_norm_relu_and_a_1x1_convolution_fold_as_a_pre_activation()
    {
        var model = Model("  norm: bn\n  relu: relu\n  conv: conv(4, k=1)\n  f: flatten\n");
        Assert.Equal(new[] { ("_norm", "_conv") }, PreActivationFields(model));
        Assert.Contains("Inference.FoldPreActivations(", Pipeline.Compile("name: Net\ninput: [8, 6, 6]\nlayers:\n  norm: bn\n  relu: relu\n  conv: conv(4, k=1)\n").Source);
    }

    [Theory]
    [InlineData("  norm: bn\n  relu: relu\n  conv: conv(4, k=3, p=1)\n", "a 3x3 kernel sums padded border pixels")]
    [InlineData("  norm: bn\n  relu: relu\n  conv: conv(4, k=1, p=1)\n", "padding adds zeros that the fold would shift")]
    [InlineData("  norm: bn\n  relu: relu\n  conv: conv(4, k=1, groups=2)\n", "grouped")]
    [InlineData("  norm: bn\n  relu: relu6\n  conv: conv(4, k=1)\n", "ReLU6 is not one maximum")]
    [InlineData("  norm: bn\n  relu: relu\n  pool: maxpool(k=2)\n  conv: conv(4, k=1)\n", "something between the ReLU and the convolution")]
    [InlineData("  conv0: conv(8, k=3, p=1)\n  norm: bn\n  relu: relu\n  conv: conv(4, k=1)\n", "the batch norm folds into the convolution before it instead")]
    [InlineData("  norm: bn\n  relu: relu\n  block:\n    residual:\n      body: { conv: conv(8, k=1) }\n", "the ReLU's output is also the shortcut")]
    [InlineData("  norm: bn\n  relu: relu\n", "the ReLU's output is the network's output")]
    public void Other_shapes_do_not_fold(string layers, string why)
    {
        Assert.True(!InferenceFolding.PlanFor(Model(layers)).PreActivations.Any(), why);
    }

    [Fact]
    public void DenseNet121_folds_every_batch_norm_but_the_last()
    {
        // 58 dense layers: norm2 into conv1 (after it), norm1 with relu1 into conv1 (before it); each of the 3
        // transitions: norm with relu into its 1x1 conv; norm0 into conv0. Only norm5 (then ReLU and pooling) stays.
        var model = Pipeline.CompileZoo("densenet.cnn.yaml").Models.Single(network => network.ClassName == "DenseNet121");
        Assert.Equal(58 + 1, InferenceFolding.PlanFor(model).FoldedBatchNorms.Count);
        Assert.Equal(58 + 3, InferenceFolding.PlanFor(model).PreActivations.Count);
        Assert.Equal(121, model.Steps.Count(step => step.Kind == "bn"));
    }
}
