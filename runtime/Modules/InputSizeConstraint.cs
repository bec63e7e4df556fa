using System;
using System.Collections.Generic;
using System.Globalization;

namespace CnnGen.Runtime;

/// <summary>
/// A join (concat or add) whose branches' heights (or widths) are different functions of the input's, so the network
/// accepts only the input sizes at which they agree: YOLOv8's neck, where a map upsampled by 2 meets the backbone's,
/// works at multiples of 32. The generator writes one per such join; <see cref="InputCheck"/> evaluates them.
/// </summary>
/// <remarks>
/// Each size is <c>M * floor((X + A) / S) + B</c> of the input's height or width X, given as <c>{ M, A, S, B }</c>
/// (a constant c as <c>{ 0, 0, 1, c }</c>), as the generator's analysis computed it.
/// </remarks>
public sealed class InputSizeConstraint
{
    private readonly long[] _first;
    private readonly long[] _second;

    /// <param name="join">The join's module path.</param>
    /// <param name="location">Where the join is written: the YAML file and (line,column).</param>
    /// <param name="height">A constraint on the height (else on the width).</param>
    /// <param name="first">The first branch's size: <c>{ M, A, S, B }</c>.</param>
    /// <param name="second">The other branch's size, in the same form.</param>
    public InputSizeConstraint(string join, string location, bool height, long[] first, long[] second)
    {
        Join = join ?? throw new ArgumentNullException(nameof(join));
        Location = location ?? throw new ArgumentNullException(nameof(location));
        Height = height;
        _first = Checked(first, nameof(first));
        _second = Checked(second, nameof(second));
    }

    public string Join { get; }

    public string Location { get; }

    /// <summary>Constrains the input's height (true) or width (false).</summary>
    public bool Height { get; }

    /// <summary>The first branch's size at input size <paramref name="size"/>.</summary>
    public long First(long size) => Evaluate(_first, size);

    /// <summary>The other branch's size at input size <paramref name="size"/>.</summary>
    public long Second(long size) => Evaluate(_second, size);

    /// <summary>Whether both branches have the same size at input size <paramref name="size"/>.</summary>
    public bool HoldsAt(long size) => First(size) == Second(size);

    /// <summary>
    /// After how many input sizes the sizes that satisfy this constraint repeat (lcm of the two divisors when both sizes
    /// grow at the same rate), or null when they never repeat.
    /// </summary>
    internal long? Period => _first[0] * _second[2] == _second[0] * _first[2] ? _first[2] / Gcd(_first[2], _second[2]) * _second[2] : null;

    internal static long Gcd(long a, long b)
    {
        while (b != 0) (a, b) = (b, a % b);
        return Math.Abs(a);
    }

    private static long Evaluate(long[] f, long x)
    {
        var y = x + f[1];
        var quotient = y >= 0 ? y / f[2] : -((-y + f[2] - 1) / f[2]);
        return f[0] * quotient + f[3];
    }

    private static long[] Checked(long[] formula, string name) =>
        formula is { Length: 4 } && formula[2] >= 1 ? formula : throw new ArgumentException("a size is { M, A, S, B } with S >= 1", name);

    public override string ToString() => $"{Join} ({(Height ? "height" : "width")}) at {Location}";
}
