using System;
using System.Globalization;

namespace CnnGen.Generator.Layers;

/// <summary>
/// A feature map's height or width as a function of the input's: <c>M * floor((X + A) / S) + B</c> (M is 1 unless an
/// upsample by a factor multiplied it), or a constant after adaptive pooling. Every convolution and pooling window keeps
/// this form when M is 1, because floor((floor((X + A) / S) + c) / s) = floor((X + A + c*S) / (S*s)) for whole numbers,
/// and when the stride divides M (floor((M*q + c) / s) = (M/s)*q + floor(c / s)); so each layer's size is known as a
/// formula of the input size, and the smallest input for which every layer has at least one pixel follows directly.
/// </summary>
public sealed record SizeFormula(long A, long S, long B, long? Constant = null)
{
    /// <summary>The factor before the floor: 1, or the product of the upsampling factors since the input.</summary>
    public long M { get; init; } = 1;

    public static SizeFormula Identity { get; } = new(0, 1, 0);

    public static SizeFormula Fixed(long size) => new(0, 1, 0, size);

    public bool IsConstant => Constant is not null;

    /// <summary>Output size of a window (kernel, stride, padding, dilation), as PyTorch computes it.</summary>
    public SizeFormula? Window(long kernel, long stride, long padding, long dilation, bool ceilMode)
    {
        if (IsConstant) return this;
        // floor((f + 2p - d(k-1) - 1) / s) + 1, and ceil(y / s) = floor((y + s - 1) / s).
        var shift = checked(B + 2 * padding - dilation * (kernel - 1) - 1 + (ceilMode ? stride - 1 : 0));
        // With q = floor((X + A) / S): floor((M*q + shift) / s) = floor((m*q + floor(shift / g)) / t), g = gcd(M, s).
        var g = Gcd(M, stride);
        var (m, t, c) = (M / g, stride / g, FloorDivide(shift, g));
        if (m == 1) return new SizeFormula(checked(A + S * c), checked(S * t), 1);
        if (t == 1) return new SizeFormula(A, S, checked(c + 1)) { M = m };
        // An upsampled size divided by a stride that does not divide the factor: not of this form.
        return null;
    }

    /// <summary>Height or width times an upsampling factor.</summary>
    public SizeFormula Scaled(long factor) =>
        Constant is { } size ? Fixed(checked(size * factor)) : this with { M = checked(M * factor), B = checked(B * factor) };

    /// <summary>
    /// Whether two formulas give the same size for every input, however they are written: the same slope M/S, and the same
    /// values over one common period (the difference of two such formulas repeats every lcm(S, S') inputs).
    /// </summary>
    public bool SameAs(SizeFormula other)
    {
        if (IsConstant || other.IsConstant) return Constant == other.Constant;
        if (checked(M * other.S) != checked(other.M * S)) return false;
        var period = checked(S / Gcd(S, other.S) * other.S);
        if (period > 1 << 20) return this == other;
        for (long x = 0; x < period; x++)
            if (Evaluate(x) != other.Evaluate(x)) return false;
        return true;
    }

    private static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return Math.Abs(a);
    }

    /// <summary>
    /// Output size of a transposed window: (f - 1)·s - 2p + d·(k - 1) + output_padding + 1. It multiplies the size, which
    /// this form cannot hold (it only divides), so only a constant size stays known.
    /// </summary>
    public SizeFormula? Transposed(long kernel, long stride, long padding, long dilation, long outputPadding) =>
        Constant is { } size ? Fixed(checked((size - 1) * stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1)) : null;

    public long Evaluate(long input) => Constant ?? checked(M * FloorDivide(checked(input + A), S) + B);

    /// <summary>The smallest input size for which this size is at least 1: floor((X + A) / S) >= ceil((1 - B) / M).</summary>
    public long MinimumInput => IsConstant ? 1 : Math.Max(1, checked(S * -FloorDivide(B - 1, M) - A));

    private static long FloorDivide(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>Reads like <c>floor((H - 1) / 2) + 1</c>.</summary>
    public string Describe(string symbol)
    {
        if (Constant is { } constant) return constant.ToString(CultureInfo.InvariantCulture);
        string Offset(long value) => value == 0 ? "" : value > 0 ? $" + {value}" : $" - {-value}";
        var factor = M == 1 ? "" : $"{M} * ";
        if (S == 1) return M == 1 ? symbol + Offset(A + B) : factor + symbol + Offset(checked(M * A + B));
        return $"{factor}floor(({symbol}{Offset(A)}) / {S}){Offset(B)}";
    }
}
