using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CnnGen.Generator.Expressions;

namespace CnnGen.Generator.Layers;

/// <summary>
/// The shape of one sample (no batch dimension): (C, H, W) for feature maps or (F) after flatten.
/// Each dimension is a <see cref="Value"/> so a channel count that depends on a model argument
/// keeps the C# expression that recomputes it. A map may be held channels-last (N x H x W x C in memory,
/// after <c>permute(0, 2, 3, 1)</c>, as torchvision's ConvNeXt block does): <see cref="Dims"/> still lists
/// channels first, and only the layers that work on the last dimension (linear, layernorm, element-wise) take it.
/// </summary>
public sealed record Shape(IReadOnlyList<Value> Dims)
{
    public static Shape Map(Value channels, long height, long width) => new(new[] { channels, Value.Of(height), Value.Of(width) });

    public static Shape Flat(Value features) => new(new[] { features });

    /// <summary>Height and width as formulas of the network's input size; null where unknown.</summary>
    public SizeFormula? HeightFormula { get; init; }

    public SizeFormula? WidthFormula { get; init; }

    /// <summary>The map is held as H x W x C (channels last); see <c>permute</c>.</summary>
    public bool ChannelsLast { get; init; }

    public int Rank => Dims.Count;

    /// <summary>A C x H x W feature map, as convolutions and pools take it.</summary>
    public bool IsMap => Rank == 3 && !ChannelsLast;

    /// <summary>Has height and width (channels first or last).</summary>
    public bool IsSpatial => Rank == 3;

    public Value Channels => Dims[0];

    public long Height => Dims[1].Int;

    public long Width => Dims[2].Int;

    public IEnumerable<long> Concrete => Dims.Select(dim => dim.Int);

    /// <summary>Reads like the papers: <c>64x56x56</c>, or <c>1000</c> for a vector.</summary>
    public override string ToString() => string.Join("x", (ChannelsLast ? new[] { Dims[1], Dims[2], Dims[0] } : Dims).Select(dim => dim.Int.ToString(CultureInfo.InvariantCulture)));

    public bool SameAs(Shape other) => Rank == other.Rank && ChannelsLast == other.ChannelsLast && Concrete.SequenceEqual(other.Concrete);
}
