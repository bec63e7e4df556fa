using CnnGen.Generator.Layers;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// A join (concat, add) whose branches have different size formulas, <paramref name="First"/> and <paramref name="Second"/>,
/// of the input's height (<paramref name="Height"/>) or width: the network accepts only the input sizes at which they agree
/// (YOLOv8's neck, where a map upsampled by 2 meets the backbone's: multiples of 32).
/// </summary>
/// <param name="Where">The join's module path (or the name of the step, at the top level).</param>
/// <param name="Site">Where the join is written in the YAML.</param>
public sealed record SizeConstraint(string Where, SourceSpan Site, bool Height, SizeFormula First, SizeFormula Second)
{
    public bool HoldsAt(long size) => First.Evaluate(size) == Second.Evaluate(size);
}
