using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Runtime;

/// <summary>What generated <c>ToInference()</c> methods call: batch-norm folding and channels-last layout.</summary>
public static partial class Inference
{
    /// <summary>
    /// Folds an eval-mode batch norm into the convolution before it: w' = w * s, b' = (b - mean) * s + beta,
    /// with s = gamma / sqrt(var + eps) per output channel. The convolution gains a bias if it had none.
    /// </summary>
    public static void FoldBatchNorm(Conv2d conv, BatchNorm2d bn)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var (mean, scale) = MeanAndScale(bn);
        var type = conv.weight!.dtype;
        var outChannels = conv.weight.shape[0];
        var weight = (conv.weight.to(ScalarType.Float64) * scale.reshape(outChannels, 1, 1, 1)).to(type);
        var bias = ((conv.bias is null ? zeros_like(mean) : conv.bias.to(ScalarType.Float64)) - mean) * scale;
        if (bn.bias is not null) bias = bias + bn.bias.to(ScalarType.Float64);
        conv.weight = new Parameter(weight.MoveToOuterDisposeScope(), requires_grad: false);
        conv.bias = new Parameter(bias.to(type).MoveToOuterDisposeScope(), requires_grad: false);
    }

    /// <summary>
    /// An eval-mode batch norm's running mean and per-channel scale s = gamma / sqrt(var + eps), in double
    /// precision, so that folded weights round once (to the parameter's type) instead of at every step.
    /// </summary>
    private static (Tensor Mean, Tensor Scale) MeanAndScale(BatchNorm2d bn)
    {
        var mean = (bn.running_mean ?? throw new System.InvalidOperationException("Batch norm without running statistics cannot be folded.")).to(ScalarType.Float64);
        var scale = (bn.running_var!.to(ScalarType.Float64) + bn.eps).rsqrt();
        if (bn.weight is not null) scale = scale * bn.weight.to(ScalarType.Float64);
        return (mean, scale);
    }

    /// <summary>Stores a convolution's weight channels-last (NHWC strides), the layout oneDNN convolves fastest.</summary>
    public static void ToChannelsLast(Conv2d conv)
    {
        using var noGrad = no_grad();
        conv.weight = new Parameter(ChannelsLast(conv.weight!), requires_grad: false);
    }

    /// <summary>
    /// A batch norm's step in a generated forward, consuming its input: in the inference form the norm
    /// lives in the convolution's weights (see <see cref="FoldBatchNorm"/>) and the input passes through;
    /// otherwise the norm runs and its input, used by nothing else (the generator checked), is disposed.
    /// </summary>
    public static Tensor BatchNorm(BatchNorm2d bn, Tensor input, bool folded)
    {
        if (folded) return input;
        var output = bn.forward(input);
        input.Dispose();
        return output;
    }

    /// <summary>Every <see cref="Conv2d"/> of a network (at any depth) channels-last: see <see cref="ToChannelsLast(Conv2d)"/>.</summary>
    public static void ConvolutionsToChannelsLast(nn.Module network)
    {
        foreach (var (_, module) in network.named_modules())
            if (module is Conv2d conv) ToChannelsLast(conv);
    }

    /// <summary>Folds each batch norm into the convolution before it: see <see cref="FoldBatchNorm(Conv2d, BatchNorm2d)"/>.</summary>
    public static void FoldBatchNorms(params (Conv2d Conv, BatchNorm2d BatchNorm)[] pairs)
    {
        foreach (var (conv, bn) in pairs) FoldBatchNorm(conv, bn);
    }

    /// <summary>
    /// The same 4-D tensor with channels-last strides (TorchSharp 0.107 has no memory-format API;
    /// a permuted contiguous copy permuted back has exactly those strides).
    /// </summary>
    public static Tensor ChannelsLast(Tensor tensor)
    {
        using var permuted = tensor.permute(0, 2, 3, 1);
        using var contiguous = permuted.contiguous();
        return contiguous.permute(0, 3, 1, 2);
    }
}
