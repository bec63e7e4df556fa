using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Runtime;

/// <summary>
/// LeNet-5's trainable subsampling (LeCun et al. 1998, layers S2 and S4): every map sums its
/// non-overlapping k x k windows, multiplies the sum by a trainable coefficient of its own and adds
/// a trainable bias of its own. Parameters <c>weight</c> [C] and <c>bias</c> [C]; the squashing
/// function that follows in the paper is a separate layer.
/// </summary>
public sealed class TrainableSubsample : nn.Module<Tensor, Tensor>
{
    private readonly long _channels;
    private readonly long _kernel;
    private readonly Parameter _weight;
    private readonly Parameter _bias;

    /// <param name="channels">The number of maps (one coefficient and one bias each).</param>
    /// <param name="kernel">The window size k; windows do not overlap (stride k).</param>
    public TrainableSubsample(long channels, long kernel = 2)
        : base(nameof(TrainableSubsample))
    {
        if (channels < 1) throw new ArgumentOutOfRangeException(nameof(channels), channels, "needs at least one map");
        if (kernel < 1) throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "the window must be at least 1x1");
        _channels = channels;
        _kernel = kernel;
        // The paper's initialisation: uniform in +-2.4 / fan-in, the fan-in of a unit being its k*k inputs.
        var bound = 2.4 / (kernel * kernel);
        _weight = new Parameter(empty(channels).uniform_(-bound, bound));
        _bias = new Parameter(empty(channels).uniform_(-bound, bound));
        register_parameter("weight", _weight);
        register_parameter("bias", _bias);
    }

    /// <summary>The trainable coefficients, one per map.</summary>
    public Parameter weight => _weight;

    /// <summary>The trainable biases, one per map.</summary>
    public Parameter bias => _bias;

    public long Kernel => _kernel;

    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4 || input.size(1) != _channels)
            throw new ArgumentException($"{nameof(TrainableSubsample)} expects [N, {_channels}, H, W], but the input has shape [{string.Join(", ", input.shape)}].", nameof(input));
        // Average pooling with divisor 1 is the window sum.
        using var sums = nn.functional.avg_pool2d(input, _kernel, stride: _kernel, divisor_override: 1);
        using var scale = _weight.view(1, _channels, 1, 1);
        using var shift = _bias.view(1, _channels, 1, 1);
        return addcmul(shift, sums, scale, Forward.One);
    }
}
