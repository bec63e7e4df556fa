using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Runtime;

// The steps that networks after 2018 add to a generated forward: leaky ReLU, layer norm over the channels of a
// feature map, stochastic depth, channel shuffle and the parts of a channel split. Each frees what it makes
// on the way and leaves one handle, its result.
public static partial class Forward
{
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<double, Scalar> Slopes = new();

    /// <summary>Leaky ReLU with a cached slope scalar (a network's slopes are few and fixed, as its scale factors).</summary>
    public static Tensor LeakyRelu(Tensor x, double slope) => x.leaky_relu(Slope(slope));

    /// <summary>Leaky ReLU in place.</summary>
    public static Tensor LeakyRelu_(Tensor x, double slope) => x.leaky_relu_(Slope(slope));

    private static Scalar Slope(double slope) =>
        Slopes.TryGetValue(slope, out var cached) ? cached
            : Slopes.Count < MostCachedFactors ? Slopes.GetOrAdd(slope, static value => value) : slope;

    /// <summary>
    /// GELU in place. TorchSharp 0.107's <c>gelu_()</c> returns a new handle on the same tensor (its other in-place
    /// activations return the tensor itself), which would be left for the finalizer once per call; it is freed here.
    /// </summary>
    public static Tensor Gelu_(Tensor x)
    {
        Same(x, x.gelu_());
        return x;
    }

    /// <summary>
    /// torchvision's LayerNorm2d: layer norm over the channels of each pixel of an N x C x H x W map (permute to
    /// channels-last, LayerNorm, permute back; the result is a channels-last view, as torchvision's is).
    /// </summary>
    public static Tensor LayerNorm2d(LayerNorm norm, Tensor x)
    {
        using var last = x.permute(0, 2, 3, 1);
        using var normed = norm.forward(last);
        return normed.permute(0, 3, 1, 2);
    }

    /// <summary>
    /// torchvision.ops.stochastic_depth in "row" mode: in training each sample is kept with probability 1 - p and
    /// then scaled by 1 / (1 - p), else zeroed; in eval mode (or p = 0) the input itself (a new handle on it).
    /// </summary>
    public static Tensor StochasticDepth(Tensor x, double p, bool training)
    {
        if (p < 0 || p > 1) throw new System.ArgumentOutOfRangeException(nameof(p), p, "the drop probability must be between 0 and 1");
        if (!training || p == 0) return x.alias();
        var survival = 1.0 - p;
        using var noise = empty(SampleShape(x), dtype: x.dtype, device: x.device).bernoulli_(survival);
        if (survival > 0) noise.div_(survival);
        return x.mul(noise);
    }

    /// <summary>
    /// In place: torchvision.ops.stochastic_depth ("row") written into x. The per-sample factor does not learn, so
    /// autograd needs only the factor and x may be overwritten; in eval mode (or p = 0) nothing happens.
    /// </summary>
    public static Tensor StochasticDepth_(Tensor x, double p, bool training)
    {
        if (p < 0 || p > 1) throw new System.ArgumentOutOfRangeException(nameof(p), p, "the drop probability must be between 0 and 1");
        if (!training || p == 0) return x;
        var survival = 1.0 - p;
        using var noise = empty(SampleShape(x), dtype: x.dtype, device: x.device).bernoulli_(survival);
        if (survival > 0) noise.div_(survival);
        Same(x, x.mul_(noise));
        return x;
    }

    /// <summary>
    /// Stochastic depth taking x over, for an x that autograd saved (a SiLU's output): in eval mode x itself; in
    /// training a new tensor, and x's handle is freed (the graph keeps its own reference).
    /// </summary>
    public static Tensor StochasticDepthConsuming(Tensor x, double p, bool training)
    {
        if (p < 0 || p > 1) throw new System.ArgumentOutOfRangeException(nameof(p), p, "the drop probability must be between 0 and 1");
        if (!training || p == 0) return x;
        var dropped = StochasticDepth(x, p, training);
        x.Dispose();
        return dropped;
    }

    /// <summary>
    /// x * factor for a gate or a layer scale, taking x over: when autograd records nothing (no_grad, or neither x
    /// nor the factor requires grad) x is overwritten and returned; otherwise autograd needs x for the factor's
    /// gradient, so the product is a new tensor and x's handle is freed (the graph keeps its own reference).
    /// </summary>
    public static Tensor MulConsuming(Tensor x, Tensor factor)
    {
        if (!is_grad_enabled() || (!x.requires_grad && !factor.requires_grad))
        {
            Same(x, x.mul_(factor));
            return x;
        }
        var product = x.mul(factor);
        x.Dispose();
        return product;
    }

    /// <summary>Frees the handle an in-place call returned when TorchSharp made a new one for the same tensor (its gelu_ does).</summary>
    private static void Same(Tensor x, Tensor result)
    {
        if (!ReferenceEquals(result, x)) result.Dispose();
    }

    private static long[] SampleShape(Tensor x)
    {
        var shape = new long[x.dim()];
        shape[0] = x.size(0);
        for (var i = 1; i < shape.Length; i++) shape[i] = 1;
        return shape;
    }

    /// <summary>ShuffleNet's channel shuffle: N x (g * k) x H x W seen as N x g x k x H x W, transposed to k x g, flattened back.</summary>
    public static Tensor ChannelShuffle(Tensor x, long groups)
    {
        var (n, c, h, w) = (x.size(0), x.size(1), x.size(2), x.size(3));
        using var grouped = x.view(n, groups, c / groups, h, w);
        using var transposed = grouped.transpose(1, 2);
        return transposed.reshape(n, c, h, w);
    }

    /// <summary>Part <paramref name="index"/> of <paramref name="parts"/> equal parts of the channels (torch.chunk's), a view.</summary>
    public static Tensor Part(Tensor x, int index, int parts)
    {
        var size = x.size(1) / parts;
        return x.narrow(1, index * size, size);
    }
}
