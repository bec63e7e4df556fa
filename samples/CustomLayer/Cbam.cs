using CnnGen.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Samples.CustomLayer;

/// <summary>
/// CBAM, the Convolutional Block Attention Module (Woo, Park, Lee and Kweon, ECCV 2018): the feature map
/// is scaled first by a channel attention, then by a spatial attention.
/// <list type="bullet">
/// <item>channel: <c>sigmoid(MLP(avgpool(x)) + MLP(maxpool(x)))</c>, one weight per channel; the MLP is
/// shared by both pools, a 1x1 convolution C -&gt; C // r, ReLU, and a 1x1 convolution C // r -&gt; C;</item>
/// <item>spatial: <c>sigmoid(conv([mean over channels; max over channels]))</c>, one weight per pixel; the
/// convolution maps 2 -&gt; 1 channel with a k x k kernel and padding k // 2.</item>
/// </list>
/// </summary>
/// <remarks>
/// This is the common bias-free variant (for example luuuyi/CBAM.PyTorch): the MLP's convolutions and the
/// spatial convolution have no bias and there is no batch norm, so the module has
/// <c>2 * C * (C // r) + 2 * k * k</c> parameters. The authors' code (Jongchan/attention-module) uses
/// <c>nn.Linear</c> layers with biases and a BatchNorm2d after the spatial convolution, which would be
/// <c>2 * C * (C // r) + C // r + C + 2 * k * k + 2</c>. The generated network checks at construction that
/// the rule below is exact for this class.
/// </remarks>
[CnnLayer("cbam", Arguments = "reduction: int = 16, kernel: int = 7",
    // The output has the input's channels. The 'else 0' makes a use this module cannot build a build
    // error (CNN0032: Channels must be a positive integer): fewer channels than the reduction (an empty
    // MLP) or an even kernel (padding k // 2 would change the size). [CnnLayer] has no property for
    // conditions like these, so the rule carries them.
    Channels = "in if in // reduction >= 1 and kernel >= 1 and kernel % 2 == 1 else 0",
    Parameters = "2 * in * (in // reduction) + 2 * kernel * kernel",
    // Counted like the built-in layers count (convolutions only): the MLP on the two pooled 1x1 maps,
    // and the spatial convolution at every pixel of the output.
    MultiplyAccumulates = "2 * 2 * in * (in // reduction) + 2 * kernel * kernel * H * W")]
public sealed class Cbam : nn.Module<Tensor, Tensor>
{
    private readonly Conv2d fc1;
    private readonly Conv2d fc2;
    private readonly Conv2d spatial;

    /// <param name="inChannels">The input (and output) channels C.</param>
    /// <param name="reduction">r: the MLP's hidden layer has C // r channels (at least 1).</param>
    /// <param name="kernel">k: the spatial convolution's kernel size, odd so that the size is kept.</param>
    public Cbam(long inChannels, int reduction, int kernel) : base(nameof(Cbam))
    {
        // The YAML uses are checked at build time by the Channels rule; these guard direct C# use.
        if (reduction < 1 || inChannels / reduction < 1)
            throw new ArgumentOutOfRangeException(nameof(reduction), reduction, $"CBAM on {inChannels} channels needs a reduction from 1 to {inChannels}.");
        if (kernel < 1 || kernel % 2 == 0)
            throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "CBAM's spatial kernel must be odd so that padding k // 2 keeps the size.");
        var hidden = inChannels / reduction;
        fc1 = nn.Conv2d(inChannels, hidden, 1, bias: false);
        fc2 = nn.Conv2d(hidden, inChannels, 1, bias: false);
        spatial = nn.Conv2d(2, 1, kernel, padding: kernel / 2, bias: false);
        RegisterComponents();
    }

    public override Tensor forward(Tensor x)
    {
        // Every intermediate tensor belongs to this scope and is freed when it ends; only the result
        // moves out to the caller (autograd keeps what backward needs on its own).
        using var scope = NewDisposeScope();
        var dims = new long[] { 2, 3 };
        var average = fc2.forward(fc1.forward(x.mean(dims, keepdim: true)).relu());
        var maximum = fc2.forward(fc1.forward(x.amax(dims, keepdim: true)).relu());
        var refined = x * (average + maximum).sigmoid();

        var channels = new long[] { 1 };
        var pooled = cat(new[] { refined.mean(channels, keepdim: true), refined.amax(channels, keepdim: true) }, 1);
        var attention = spatial.forward(pooled).sigmoid();
        return (refined * attention).MoveToOuterDisposeScope();
    }
}
