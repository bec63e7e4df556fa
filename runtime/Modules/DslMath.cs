using System;

namespace CnnGen.Runtime;

/// <summary>
/// The DSL's functions at run time, for arguments that depend on a model argument
/// (<c>round(64 * alpha)</c>). Same semantics as the generator's evaluator: Python's rounding.
/// </summary>
public static class DslMath
{
    public static long Round(double value) => (long)Math.Round(value, MidpointRounding.ToEven);

    public static long Floor(double value) => (long)Math.Floor(value);

    public static long Ceil(double value) => (long)Math.Ceiling(value);

    public static long Int(double value) => (long)Math.Truncate(value);

    public static long Abs(long value) => Math.Abs(value);

    public static double Abs(double value) => Math.Abs(value);

    public static long Min(long a, long b) => Math.Min(a, b);

    public static double Min(double a, double b) => Math.Min(a, b);

    public static long Max(long a, long b) => Math.Max(a, b);

    public static double Max(double a, double b) => Math.Max(a, b);

    /// <summary>torchvision's <c>_make_divisible</c>: the nearest multiple of <paramref name="divisor"/>, at least the divisor, at most 10% below.</summary>
    public static long MakeDivisible(double value, long divisor = 8)
    {
        var rounded = Math.Max(divisor, (long)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }
}
