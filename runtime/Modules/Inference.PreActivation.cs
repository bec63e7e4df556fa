using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Runtime;

/// <summary>
/// Pre-activation folding: a batch norm and ReLU in front of a 1x1 unpadded convolution (DenseNet's
/// norm1 -> relu1 -> conv1 and its transitions), which cannot fold into a convolution before them.
/// Per channel, with the batch norm's s = gamma / sqrt(var + eps) and t = beta - mean * s,
/// <c>relu(s x + t) = s max(x, theta) + t</c> with theta = -t / s when s &gt; 0, <c>s min(x, theta) + t</c> when
/// s &lt; 0, and the constant relu(t) when s = 0; a 1x1 unpadded convolution is linear at each pixel, so
/// <c>conv(relu(bn(x))) = conv'(clamp(x, lower, upper))</c> with w' = w * s (per input channel) and
/// b' = b + w t (t replaced by relu(t) where s = 0). The forward then makes one pass (<c>maximum</c> when
/// every s is positive, as in a freshly initialised network; <c>clamp</c> with per-channel bounds otherwise)
/// where it made two, and the batch norm on a strided view of the dense-block buffer was the slow one:
/// DenseNet-121's dense layers at batch 8 took 327 ms in batch norm and ReLU against 117 ms in
/// <c>maximum</c> (measured in one run; docs/performance.md).
/// </summary>
public static partial class Inference
{
    // The bounds live on the batch norm as buffers that are not persistent: they move with .to(device), and
    // state dicts stay as they were. The upper bound exists only where some channel's scale is negative.
    private const string Lower = "preactivation_lower", Upper = "preactivation_upper";

    /// <summary>
    /// Folds an eval-mode batch norm and the ReLU after it into the 1x1 unpadded convolution after that,
    /// and keeps the clamp bounds on the batch norm for <see cref="BatchNormRelu"/>. Returns false, changing
    /// nothing, when a bound is not finite (a scale too small for float); the batch norm and ReLU then run
    /// as they are.
    /// </summary>
    public static bool FoldPreActivation(BatchNorm2d bn, Conv2d conv)
    {
        if (conv.kernel_size is not [1, 1] || conv.padding is not [0, 0] || conv.groups != 1)
            throw new System.ArgumentException("Pre-activation folding needs a 1x1 convolution without padding or groups.", nameof(conv));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (mean, scale) = MeanAndScale(bn);
        var shift = -mean * scale;
        if (bn.bias is not null) shift = shift + bn.bias.to(ScalarType.Float64);
        var (positive, negative, zero) = (scale > 0, scale < 0, scale == 0);
        var theta = where(zero, zeros_like(shift), -shift / where(zero, ones_like(scale), scale));
        if (!theta.isfinite().all().item<bool>()) return false;
        // Where s = 0 the ReLU's output is the constant relu(t), and the (zero) weight ignores the input.
        shift = where(zero, shift.clamp_min(0), shift);

        var type = conv.weight!.dtype;
        var (outChannels, inChannels) = (conv.weight.size(0), conv.weight.size(1));
        var weight = conv.weight.to(ScalarType.Float64);
        var bias = weight.reshape(outChannels, inChannels).matmul(shift);
        if (conv.bias is not null) bias = bias + conv.bias.to(ScalarType.Float64);
        conv.weight = new Parameter((weight * scale.reshape(1, inChannels, 1, 1)).to(type).MoveToOuterDisposeScope(), requires_grad: false);
        conv.bias = new Parameter(bias.to(type).MoveToOuterDisposeScope(), requires_grad: false);
        Tensor Bound(Tensor applies, double otherwise) => where(applies, theta, full_like(theta, otherwise)).reshape(1, inChannels, 1, 1).to(type).MoveToOuterDisposeScope();
        bn.register_buffer(Lower, Bound(positive, double.NegativeInfinity), persistent: false);
        if (negative.any().item<bool>()) bn.register_buffer(Upper, Bound(negative, double.PositiveInfinity), persistent: false);
        return true;
    }

    /// <summary>Pre-activation folds, in the order given: see <see cref="FoldPreActivation"/>.</summary>
    public static void FoldPreActivations(params (BatchNorm2d BatchNorm, Conv2d Conv)[] pairs)
    {
        foreach (var (bn, conv) in pairs) FoldPreActivation(bn, conv);
    }

    /// <summary>
    /// A batch norm and the ReLU after it in a generated forward: one clamp where the pair was folded into
    /// the convolution after it (the inference form), otherwise the batch norm and an in-place ReLU on its
    /// fresh output. The input is not consumed.
    /// </summary>
    public static Tensor BatchNormRelu(BatchNorm2d bn, Tensor input, bool folded)
    {
        if (folded && bn.has_buffer(Lower))
            return bn.has_buffer(Upper) ? input.clamp(bn.get_buffer(Lower), bn.get_buffer(Upper)) : maximum(input, bn.get_buffer(Lower));
        return bn.forward(input).relu_();
    }
}
