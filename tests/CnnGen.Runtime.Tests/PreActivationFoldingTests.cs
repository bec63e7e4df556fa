using CnnGen.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests;

/// <summary>
/// Inference.FoldPreActivation: batch norm and ReLU folded into the 1x1 convolution after them. The batch norms have
/// eps 1e-3 and running variances of that order (see <see cref="BatchNormFoldingTests"/>), so a fold that left eps
/// out is off far beyond the tolerance.
/// </summary>
public class PreActivationFoldingTests
{
    /// <summary>
    /// An eval-mode batch norm with eps 1e-3, running variances in [5e-4, 2.5e-3] and random means and affine
    /// parameters; channel 1's gamma and channel 2's as given. Inputs are scaled by 0.05 to match the statistics.
    /// </summary>
    private static BatchNorm2d RandomNorm(long channels, float? gamma1 = null, float? gamma2 = null)
    {
        var bn = nn.BatchNorm2d(channels, eps: BatchNormFoldingTests.Eps);
        using (no_grad())
        {
            bn.running_mean!.copy_(randn(channels) * 0.03);
            bn.running_var!.copy_(rand(channels) * 2e-3 + 5e-4);
            bn.weight!.copy_(rand(channels) + 0.1);
            if (gamma1 is { } first) bn.weight[1] = tensor(first);
            if (gamma2 is { } second) bn.weight[2] = tensor(second);
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
        var x = randn(2, 6, 7, 7) * 0.05;
        var expected = Reference(bn, conv, x);
        // With eps left out the same layers compute something else by far more than the tolerance: eps is visible.
        var withoutEps = nn.BatchNorm2d(6, eps: 0);
        withoutEps.load_state_dict(bn.state_dict());
        withoutEps.eval();
        Assert.True(BatchNormFoldingTests.RelativeDifference(Reference(withoutEps, conv, x), expected) > 0.1, "eps has no visible effect on this batch norm");

        Assert.True(Inference.FoldPreActivation(bn, conv));
        var actual = conv.forward(Inference.BatchNormRelu(bn, x, folded: true));
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5), $"max difference {(actual - expected).abs().max().item<float>()}");
        // The unfolded path of the same step is the batch norm and ReLU themselves.
        Assert.True(Inference.BatchNormRelu(bn, x, folded: false).allclose(nn.functional.relu(bn.forward(x)), rtol: 0, atol: 0));
        // The threshold is a buffer that state dicts leave out, so a folded network saves what it loaded.
        Assert.DoesNotContain(bn.state_dict().Keys, key => key.Contains("threshold"));
    }

    [Theory]
    [InlineData(-0.5f, null)]
    [InlineData(null, 0f)]
    [InlineData(-0.5f, 0f)]
    public void Channels_with_negative_or_zero_scale_fold_into_a_clamp(float? gamma1, float? gamma2)
    {
        // relu(s x + t) is s min(x, -t/s) + t when s < 0 and the constant relu(t) when s = 0 (a trained
        // network can have these): one clamp with per-channel bounds still stands for all channels.
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var bn = RandomNorm(4, gamma1, gamma2);
        using (no_grad()) bn.bias![2] = tensor(-0.7f); // relu(t) differs from t in the zero-scale channel
        var conv = nn.Conv2d(4, 3, kernel_size: 1);
        var x = randn(2, 4, 5, 5) * 0.15;
        var expected = Reference(bn, conv, x);

        Assert.True(Inference.FoldPreActivation(bn, conv));
        var actual = conv.forward(Inference.BatchNormRelu(bn, x, folded: true));
        Assert.True(actual.allclose(expected, rtol: 1e-5, atol: 1e-5), $"max difference {(actual - expected).abs().max().item<float>()}");
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
