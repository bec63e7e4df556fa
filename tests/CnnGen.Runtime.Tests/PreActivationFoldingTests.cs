using CnnGen.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests;

/// <summary>Inference.FoldPreActivation: batch norm and ReLU folded into the 1x1 convolution after them.</summary>
public class PreActivationFoldingTests
{
    /// <summary>An eval-mode batch norm with random statistics and affine parameters; gamma's sign as asked.</summary>
    private static BatchNorm2d RandomNorm(long channels, bool positiveGamma = true)
    {
        var bn = nn.BatchNorm2d(channels);
        using (no_grad())
        {
            bn.running_mean!.copy_(randn(channels));
            bn.running_var!.copy_(rand(channels) + 0.5);
            bn.weight!.copy_(rand(channels) + 0.1);
            if (!positiveGamma) bn.weight[1] = tensor(-0.5f);
            bn.bias!.copy_(randn(channels));
        }
        bn.eval();
        return bn;
    }

    private static Tensor Reference(BatchNorm2d bn, Conv2d conv, Tensor x) => conv.forward(nn.functional.relu(bn.forward(x)));

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 1)]
    [InlineData(true, 2)]
    public void The_folded_pair_computes_what_batch_norm_relu_and_convolution_computed(bool convBias, long stride)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var bn = RandomNorm(6);
        var conv = nn.Conv2d(6, 5, kernel_size: 1, stride: stride, bias: convBias);
        var x = randn(2, 6, 7, 7);
        var expected = Reference(bn, conv, x);

        Assert.True(Inference.FoldPreActivation(bn, conv));
        var actual = conv.forward(Inference.BatchNormRelu(bn, x, folded: true));
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5), $"max difference {(actual - expected).abs().max().item<float>()}");
        // The unfolded path of the same step is the batch norm and ReLU themselves.
        Assert.True(Inference.BatchNormRelu(bn, x, folded: false).allclose(nn.functional.relu(bn.forward(x)), rtol: 0, atol: 0));
        // The threshold is a buffer that state dicts leave out, so a folded network saves what it loaded.
        Assert.DoesNotContain(bn.state_dict().Keys, key => key.Contains("threshold"));
    }

    [Fact]
    public void A_channel_with_negative_scale_leaves_everything_as_it_was()
    {
        // relu(s x + t) with s < 0 is a min, not a max: no single maximum can stand for it.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var bn = RandomNorm(4, positiveGamma: false);
        var conv = nn.Conv2d(4, 3, kernel_size: 1);
        var weight = conv.weight!.clone();
        var x = randn(2, 4, 5, 5);
        var expected = Reference(bn, conv, x);

        Assert.False(Inference.FoldPreActivation(bn, conv));
        Assert.True(conv.weight!.equal(weight).all().item<bool>());
        Assert.True(conv.forward(Inference.BatchNormRelu(bn, x, folded: true)).allclose(expected, rtol: 0, atol: 0));
    }

    [Theory]
    [InlineData(3, 0, 1)]
    [InlineData(1, 1, 1)]
    [InlineData(1, 0, 2)]
    public void Only_a_1x1_convolution_without_padding_or_groups_takes_the_fold(long kernel, long padding, long groups)
    {
        // Padding would add zeros where the folded input means s * 0 + t, and a wider kernel sums them in.
        using var bn = RandomNorm(4);
        using var conv = nn.Conv2d(4, 4, kernel_size: kernel, padding: padding, groups: groups);
        Assert.Throws<ArgumentException>(() => Inference.FoldPreActivation(bn, conv));
    }
}
