using System;
using System.Globalization;

namespace CnnGen.Generator.Layers;

/// <summary>
/// A feature map's height or width as a function of the input's: <c>floor((X + A) / S) + B</c>, or a
/// constant after adaptive pooling. Every convolution and pooling window keeps this form, because
/// floor((floor((X + A) / S) + c) / s) = floor((X + A + c*S) / (S*s)) for whole numbers; so each
/// layer's size is known as a formula of the input size, and the smallest input for which every
/// layer has at least one pixel follows directly.
/// </summary>
public sealed record SizeFormula(long A, long S, long B, long? Constant = null)
{
    public static SizeFormula Identity { get; } = new(0, 1, 0);

    public static SizeFormula Fixed(long size) => new(0, 1, 0, size);

    public bool IsConstant => Constant is not null;

    /// <summary>Output size of a window (kernel, stride, padding, dilation), as PyTorch computes it.</summary>
    public SizeFormula Window(long kernel, long stride, long padding, long dilation, bool ceilMode)
    {
        if (IsConstant) return this;
        // floor((f + 2p - d(k-1) - 1) / s) + 1, and ceil(y / s) = floor((y + s - 1) / s).
        var shift = checked(B + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0));
        return new SizeFormula(checked(A + S * shift), checked(S * stride), 1);
    }

    /// <summary>
    /// Output size of a transposed window: (f - 1)·s - 2p + d·(k - 1) + output_padding + 1. It multiplies the size, which
    /// this form cannot hold (it only divides), so only a constant size stays known.
    /// </summary>
    public SizeFormula? Transposed(long kernel, long stride, long padding, long dilation, long outputPadding) =>
        Constant is { } size ? Fixed(checked((size - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1)) : null;

    public long Evaluate(long input) => Constant ?? FloorDivide(checked(input + A), S) + B;

    /// <summary>The smallest input size for which this size is at least 1.</summary>
    public long MinimumInput => IsConstant ? 1 : Math.Max(1, checked(S * (1 - B) - A));

    private static long FloorDivide(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>Reads like <c>floor((H - 1) / 2) + 1</c>.</summary>
    public string Describe(string symbol)
    {
        if (Constant is { } constant) return constant.ToString(CultureInfo.InvariantCulture);
        string Offset(long value) => value == 0 ? "" : value > 0 ? $" + {value}" : $" - {-value}";
        if (S == 1) return symbol + Offset(A + B);
        return $"floor(({symbol}{Offset(A)}) / {S}){Offset(B)}";
    }
}
