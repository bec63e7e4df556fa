using System;

namespace CnnGen.Generator.Layers;

/// <summary>
/// How a layer changes height and width, as formulas of the input size (see <see cref="SizeFormula"/>):
/// unchanged, a sliding window, a fixed size (adaptive pooling), or not expressible (upsampling).
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
    /// An upsample by a factor: it multiplies the size, which a <see cref="SizeFormula"/> cannot hold. Joined with other
    /// maps afterwards (YOLOv8's neck), the sizes agree only for some inputs (there: multiples of 32), which the analysis
    /// does not model, so such a network accepts its declared size only.
    /// </summary>
    public static SpatialRule Scaled { get; } = new(_ => null, _ => null) { Scales = true };

    /// <summary>See <see cref="Scaled"/>.</summary>
    public bool Scales { get; init; }

    public static SpatialRule Fixed(long height, long width) => new(_ => SizeFormula.Fixed(height), _ => SizeFormula.Fixed(width));

    public static SpatialRule Window((long H, long W) kernel, (long H, long W) stride, (long H, long W) padding, (long H, long W) dilation, bool ceilMode) => new(
        f => f?.Window(kernel.H, stride.H, padding.H, dilation.H, ceilMode),
        f => f?.Window(kernel.W, stride.W, padding.W, dilation.W, ceilMode));
}
