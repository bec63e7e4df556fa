using System;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Runtime;

/// <summary>
/// Ultralytics' DFL (ultralytics/nn/modules/block.py; Li et al. 2020, "Generalized Focal Loss"): the box branch's
/// [N, 4 x reg_max, A] viewed [N, 4, reg_max, A], a softmax over the reg_max bins and their expectation through a
/// 1 x reg_max convolution <c>conv</c> whose weight is arange(reg_max), fixed (requires_grad false): [N, 4, A], each
/// box side's distance in bins. The weight is a parameter of the state dict (<c>conv.weight</c> [1, reg_max, 1, 1]),
/// as Ultralytics registers it, so its checkpoints load and its parameter count holds.
/// </summary>
public sealed class Dfl : nn.Module<Tensor, Tensor>, IFixedParameters
{
    private readonly long _regMax;
    private readonly Conv2d conv;

    public Dfl(long regMax = 16)
        : base(nameof(Dfl))
    {
        if (regMax < 2) throw new ArgumentOutOfRangeException(nameof(regMax), regMax, "needs at least two bins");
        _regMax = regMax;
        conv = nn.Conv2d(regMax, 1, 1, bias: false);
        using (no_grad())
        {
            using var bins = arange(regMax, dtype: float32).view(1, regMax, 1, 1);
            conv.weight!.copy_(bins);
        }
        conv.weight!.requires_grad = false;
        RegisterComponents();
    }

    public long RegMax => _regMax;

    /// <param name="input">The box channels of all anchors, [N, 4 x reg_max, A] (see <see cref="Forward.Anchors"/>).</param>
    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 3 || input.size(1) != 4 * _regMax)
            throw new ArgumentException($"{nameof(Dfl)} expects [N, {4 * _regMax}, A], but the input has shape [{string.Join(", ", input.shape)}].", nameof(input));
        long n = input.size(0), anchors = input.size(2);
        using var sides = input.view(n, 4, _regMax, anchors);
        using var bins = sides.transpose(2, 1);
        using var probabilities = bins.softmax(1);
        using var expected = conv.forward(probabilities);
        return expected.view(n, 4, anchors);
    }
}
