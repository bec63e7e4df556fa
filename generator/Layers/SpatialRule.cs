using System;

namespace CnnGen.Generator.Layers;

/// <summary>
/// How a layer changes height and width, as formulas of the input size (see <see cref="SizeFormula"/>):
/// unchanged, a sliding window, a fixed size (adaptive pooling), a multiple (upsampling by a factor), or not expressible.
/// <see cref="NeedsFixedSize"/> marks a layer (flatten) that ties the network to its declared size.
/// </summary>
public sealed record SpatialRule(Func<SizeFormula?, SizeFormula?> Height, Func<SizeFormula?, SizeFormula?> Width, bool NeedsFixedSize = false)
{
    public static SpatialRule Keep { get; } = new(f => f, f => f);

    public static SpatialRule Unknown { get; } = new(_ => null, _ => null);

    /// <summary>The output is a flat vector; nothing spatial follows.</summary>
    public static SpatialRule ToVector { get; } = new(_ => null, _ => null);

    public static SpatialRule Flatten { get; } = new(_ => null, _ => null, NeedsFixedSize: true);

    /// <summary>
    /// An upsample by a factor: the size times the factor (<see cref="SizeFormula.M"/>). Joined with other maps afterwards
    /// (YOLOv8's neck), the sizes agree only for some inputs (there: multiples of 32); the analysis records each such join
    /// as a constraint on the input size (see <c>NetworkModel.SizeConstraints</c>).
    /// </summary>
    public static SpatialRule Scaled(long factor) => new(f => f?.Scaled(factor), f => f?.Scaled(factor)) { Scales = true };

    /// <summary>See <see cref="Scaled"/>.</summary>
    public bool Scales { get; init; }

    public static SpatialRule Fixed(long height, long width) => new(_ => SizeFormula.Fixed(height), _ => SizeFormula.Fixed(width));

    public static SpatialRule Window((long H, long W) kernel, (long H, long W) stride, (long H, long W) padding, (long H, long W) dilation, bool ceilMode) => new(
        f => f?.Window(kernel.H, stride.H, padding.H, dilation.H, ceilMode),
        f => f?.Window(kernel.W, stride.W, padding.W, dilation.W, ceilMode));
}
