using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Runtime;

/// <summary>
/// Pre-activation folding: a batch norm and ReLU in front of a 1x1 unpadded convolution (DenseNet's
/// norm1 -> relu1 -> conv1 and its transitions), which cannot fold into a convolution before them.
/// Per channel, with the batch norm's s = gamma / sqrt(var + eps) and t = beta - mean * s,
/// <c>relu(s x + t) = s max(x, -t / s) + t</c> when s &gt; 0; and a 1x1 unpadded convolution is linear at each
/// pixel, so <c>conv(relu(bn(x))) = conv'(max(x, theta))</c> with w' = w * s (per input channel),
/// b' = b + w t and theta = -t / s. The forward then makes one pass (<c>maximum</c>) where it made two
/// (batch norm, then ReLU), and the batch norm on a strided view of the dense-block buffer was the slow
/// one: DenseNet-121's dense layers at batch 8 took 327 ms in batch norm and ReLU against 117 ms in
/// <c>maximum</c> (measured in one run; docs/performance.md).
/// </summary>
public static partial class Inference
{
    /// <summary>The buffer that holds theta on the batch norm; not persistent, so state dicts stay as they were.</summary>
    private const string Threshold = "preactivation_threshold";

    /// <summary>
    /// Folds an eval-mode batch norm and the ReLU after it into the 1x1 unpadded convolution after that,
    /// and keeps theta on the batch norm for <see cref="BatchNormRelu"/>. Returns false, changing
    /// nothing, when a channel's scale is not positive (then ReLU's max becomes a min for that channel)
    /// or theta is not finite; the batch norm and ReLU then run as they are.
    /// </summary>
    public static bool FoldPreActivation(BatchNorm2d bn, Conv2d conv)
    {
        if (conv.kernel_size is not [1, 1] || conv.padding is not [0, 0] || conv.groups != 1)
            throw new System.ArgumentException("Pre-activation folding needs a 1x1 convolution without padding or groups.", nameof(conv));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var mean = (bn.running_mean ?? throw new System.InvalidOperationException("Batch norm without running statistics cannot be folded.")).to(ScalarType.Float64);
        // In double precision, as FoldBatchNorm does.
        var scale = (bn.running_var!.to(ScalarType.Float64) + bn.eps).rsqrt();
        if (bn.weight is not null) scale = scale * bn.weight.to(ScalarType.Float64);
        var shift = -mean * scale;
        if (bn.bias is not null) shift = shift + bn.bias.to(ScalarType.Float64);
        var theta = -shift / scale;
        if (!(scale > 0).all().item<bool>() || !theta.isfinite().all().item<bool>()) return false;

        var type = conv.weight!.dtype;
        var (outChannels, inChannels) = (conv.weight.size(0), conv.weight.size(1));
        var weight = conv.weight.to(ScalarType.Float64);
        var bias = weight.reshape(outChannels, inChannels).matmul(shift);
        if (conv.bias is not null) bias = bias + conv.bias.to(ScalarType.Float64);
        conv.weight = new Parameter((weight * scale.reshape(1, inChannels, 1, 1)).to(type).MoveToOuterDisposeScope(), requires_grad: false);
        conv.bias = new Parameter(bias.to(type).MoveToOuterDisposeScope(), requires_grad: false);
        bn.register_buffer(Threshold, theta.reshape(1, inChannels, 1, 1).to(type).MoveToOuterDisposeScope(), persistent: false);
        return true;
    }

    /// <summary>Pre-activation folds, in the order given: see <see cref="FoldPreActivation"/>.</summary>
    public static void FoldPreActivations(params (BatchNorm2d BatchNorm, Conv2d Conv)[] pairs)
    {
        foreach (var (bn, conv) in pairs) FoldPreActivation(bn, conv);
    }

    /// <summary>
    /// A batch norm and the ReLU after it in a generated forward: <c>max(input, theta)</c> where the pair was
    /// folded into the convolution after it (the inference form), otherwise the batch norm and an in-place
    /// ReLU on its fresh output. The input is not consumed.
    /// </summary>
    public static Tensor BatchNormRelu(BatchNorm2d bn, Tensor input, bool folded)
    {
        if (folded && bn.has_buffer(Threshold)) return maximum(input, bn.get_buffer(Threshold));
        return bn.forward(input).relu_();
    }
}
