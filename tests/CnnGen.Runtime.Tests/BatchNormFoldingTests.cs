using CnnGen.Runtime;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests;

/// <summary>
/// Inference.FoldBatchNorm: an eval-mode batch norm folded into the convolution before it. The batch norms have
/// Inception's eps (1e-3) and running variances of the same order (a trained network's quiet channels), so a fold
/// that left eps out, or took it in the wrong place, is off by 20% to 140% of the output, not by its rounding.
/// </summary>
public class BatchNormFoldingTests
{
    /// <summary>Inception-v3's (and EfficientNet's) batch-norm eps; ResNet's 1e-5 would hide a missing eps in rounding.</summary>
    internal const double Eps = 1e-3;

    /// <summary>
    /// An eval-mode batch norm with eps <see cref="Eps"/>, running variances in [5e-4, 2.5e-3] (so eps is 40% to 200%
    /// of them), running means of the order of their standard deviation, and gamma in [0.5, 1.5], beta ~ N(0, 0.1).
    /// </summary>
    internal static BatchNorm2d QuietNorm(long channels)
    {
        var bn = nn.BatchNorm2d(channels, eps: Eps);
        using (no_grad())
        {
            bn.running_mean!.copy_(randn(channels) * 0.03);
            bn.running_var!.copy_(rand(channels) * 2e-3 + 5e-4);
            bn.weight!.copy_(rand(channels) + 0.5);
            bn.bias!.copy_(randn(channels) * 0.1);
        }
        bn.eval();
        return bn;
    }

    /// <summary>Max |a - b| over max |b|.</summary>
    internal static double RelativeDifference(Tensor actual, Tensor expected) =>
        (actual - expected).abs().max().item<float>() / (double)expected.abs().max().item<float>();

    [Theory]
    [InlineData(true, 1)]
    [InlineData(false, 1)]
    [InlineData(false, 4)]
    public void The_folded_convolution_computes_what_convolution_and_batch_norm_computed(bool convBias, long groups)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(27);
        var conv = nn.Conv2d(4, 8, kernel_size: 3, padding: 1, groups: groups, bias: convBias);
        // Inputs scaled so the convolution's outputs are of the order of the running statistics' spread.
        using (no_grad()) conv.weight!.mul_(0.05);
        var bn = QuietNorm(8);
        var x = randn(2, 4, 7, 7);
        var expected = bn.forward(conv.forward(x));

        // The same network with eps left out differs far beyond the tolerance below: the test can see eps.
        var withoutEps = nn.BatchNorm2d(8, eps: 0);
        withoutEps.load_state_dict(bn.state_dict());
        withoutEps.eval();
        Assert.True(RelativeDifference(withoutEps.forward(conv.forward(x)), expected) > 0.1, "eps has no visible effect on this batch norm");

        Inference.FoldBatchNorm(conv, bn);
        var actual = Inference.BatchNorm(bn, conv.forward(x), folded: true);
        var difference = RelativeDifference(actual, expected);
        Assert.True(difference < 1e-5, $"max |difference| is {difference:E2} of max |output|");
        Assert.NotNull(conv.bias);
    }
}
