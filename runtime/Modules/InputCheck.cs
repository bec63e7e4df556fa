using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;

namespace CnnGen.Runtime;

/// <summary>
/// Checks a batch against a network's input before any layer runs, so a wrong or too small input gives
/// a message that names the expected shape instead of libtorch's error from deep inside.
/// </summary>
public static class InputCheck
{
    /// <summary>A batch [N, channels, H, W] with H and W at least the network's minimum (it pools adaptively).</summary>
    public static void RequireAtLeast(torch.Tensor input, string network, long channels, long minHeight, long minWidth)
    {
        if (!IsMap(input) || input.size(1) != channels || input.size(2) < minHeight || input.size(3) < minWidth)
            throw new ArgumentException(
                $"{network} expects a batch of shape [N, {channels}, H, W] with H >= {minHeight} and W >= {minWidth}, but the input has shape [{string.Join(", ", input.shape)}].",
                nameof(input));
    }

    /// <summary>
    /// A batch [N, channels, H, W] with H and W at least the network's minimum and every <paramref name="constraints"/>
    /// holding (the joined maps agree in size), else an <see cref="ArgumentException"/> that names the join and the nearest
    /// sizes that work.
    /// </summary>
    public static void RequireAtLeast(torch.Tensor input, string network, long channels, long minHeight, long minWidth, IReadOnlyList<InputSizeConstraint> constraints)
    {
        RequireAtLeast(input, network, channels, minHeight, minWidth);
        if (SizeProblem(network, input.size(2), input.size(3), minHeight, minWidth, constraints) is { } problem)
            throw new ArgumentException(problem, nameof(input));
    }

    /// <summary>Whether an input of <paramref name="height"/> x <paramref name="width"/> is at least the minimum and every constraint holds.</summary>
    public static bool Accepts(long height, long width, long minHeight, long minWidth, IReadOnlyList<InputSizeConstraint> constraints) =>
        height >= minHeight && width >= minWidth && Holds(constraints, true, height) && Holds(constraints, false, width);

    /// <summary>
    /// Why an input of <paramref name="height"/> x <paramref name="width"/> (at least the minimum) does not fit the joins'
    /// <paramref name="constraints"/>, or null when it does: per dimension, the first join whose maps would disagree, their two
    /// sizes, and the nearest heights or widths below and above that work.
    /// </summary>
    public static string? SizeProblem(string network, long height, long width, long minHeight, long minWidth, IReadOnlyList<InputSizeConstraint> constraints)
    {
        var parts = new List<string>();
        foreach (var (isHeight, size, minimum) in new[] { (true, height, minHeight), (false, width, minWidth) })
        {
            var failed = constraints.FirstOrDefault(c => c.Height == isHeight && !c.HoldsAt(size));
            if (failed is null) continue;
            var word = isHeight ? "height" : "width";
            var extent = isHeight ? "high" : "wide";
            var below = Nearest(constraints, isHeight, size, -1, minimum);
            var above = Nearest(constraints, isHeight, size, +1, minimum);
            var nearest = (below, above) switch
            {
                ({ } b, { } a) => $"{b} or {a}",
                ({ } b, null) => $"{b}",
                (null, { } a) => $"{a}",
                _ => null,
            };
            var period = Period(constraints, isHeight);
            parts.Add($"at the {word} {size} the join '{failed.Join}' ({failed.Location}) would get maps {failed.First(size)} and {failed.Second(size)} {extent}; " +
                      (nearest is null ? $"no {word} near it works" : $"use a {word} such as {nearest}") +
                      (period is { } p && p > 1 ? $" (the {word}s that work repeat every {p})" : ""));
        }
        return parts.Count == 0 ? null
            : $"{network} cannot take an input of height {height} and width {width}: the maps it joins would differ in size: {string.Join("; ", parts)}.";
    }

    private static bool Holds(IReadOnlyList<InputSizeConstraint> constraints, bool height, long size)
    {
        foreach (var constraint in constraints)
            if (constraint.Height == height && !constraint.HoldsAt(size)) return false;
        return true;
    }

    /// <summary>How far from a rejected size to look for one that works.</summary>
    private const long NearestSearch = 1 << 16;

    private static long? Nearest(IReadOnlyList<InputSizeConstraint> constraints, bool height, long size, int direction, long minimum)
    {
        for (long step = 1; step <= NearestSearch; step++)
        {
            var candidate = size + direction * step;
            if (candidate < minimum) return null;
            if (Holds(constraints, height, candidate)) return candidate;
        }
        return null;
    }

    /// <summary>The smallest period of the sizes that work, when every constraint on the dimension repeats.</summary>
    private static long? Period(IReadOnlyList<InputSizeConstraint> constraints, bool height)
    {
        long whole = 1;
        foreach (var constraint in constraints.Where(c => c.Height == height))
        {
            if (constraint.Period is not { } p) return null;
            whole = whole / InputSizeConstraint.Gcd(whole, p) * p;
            if (whole > NearestSearch) return null;
        }
        for (long d = 1; d < whole; d++)
        {
            if (whole % d != 0) continue;
            var repeats = true;
            for (long x = 0; x < whole && repeats; x++)
                repeats = Holds(constraints, height, x) == Holds(constraints, height, x + d);
            if (repeats) return d;
        }
        return whole;
    }

    /// <summary>A batch of exactly [N, channels, height, width].</summary>
    public static void RequireExactly(torch.Tensor input, string network, long channels, long height, long width)
    {
        if (!IsMap(input) || input.size(1) != channels || input.size(2) != height || input.size(3) != width)
            throw new ArgumentException(
                $"{network} expects a batch of shape [N, {channels}, {height}, {width}], but the input has shape [{string.Join(", ", input.shape)}].",
                nameof(input));
    }

    // dim() and size(i), not shape: in TorchSharp 0.107 every shape read leaves a small native object for
    // the finalizer (see Forward), and this check runs on every forward.
    private static bool IsMap(torch.Tensor input) => (input ?? throw new ArgumentNullException(nameof(input))).dim() == 4;
}
