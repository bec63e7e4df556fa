using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CnnGen.Generator.Expressions;

namespace CnnGen.Generator.Layers;

/// <summary>
/// The shape of one sample (no batch dimension): (C, H, W) for feature maps or (F) after flatten.
/// Each dimension is a <see cref="Value"/> so a channel count that depends on a model argument
/// keeps the C# expression that recomputes it.
/// </summary>
public sealed record Shape(IReadOnlyList<Value> Dims)
{
    public static Shape Map(Value channels, long height, long width) => new(new[] { channels, Value.Of(height), Value.Of(width) });

    public static Shape Flat(Value features) => new(new[] { features });

    /// <summary>Height and width as formulas of the network's input size; null where unknown.</summary>
    public SizeFormula? HeightFormula { get; init; }

    public SizeFormula? WidthFormula { get; init; }

    public int Rank => Dims.Count;

    public bool IsMap => Rank == 3;

    public Value Channels => Dims[0];

    public long Height => Dims[1].Int;

    public long Width => Dims[2].Int;

    public IEnumerable<long> Concrete => Dims.Select(dim => dim.Int);

    /// <summary>Reads like the papers: <c>64x56x56</c>, or <c>1000</c> for a vector.</summary>
    public override string ToString() => string.Join("x", Dims.Select(dim => dim.Int.ToString(CultureInfo.InvariantCulture)));

    public bool SameAs(Shape other) => Rank == other.Rank && Concrete.SequenceEqual(other.Concrete);
}
