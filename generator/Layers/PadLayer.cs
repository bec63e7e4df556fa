using System.Collections.Generic;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>pad(to=name)</c>: zeros around the input up to an earlier output's height and width, the extra split as
/// <c>F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])</c>: the padded U-Net's decoder (milesial/Pytorch-UNet's
/// <c>Up</c>), where a 2x2 up-convolution of an odd-sized map comes back one row or column short of its skip, so the
/// network takes any input size, not only multiples of 16. The mirror of <c>crop(to=name)</c>; no parameters.
/// </summary>
public sealed class PadLayer : LayerKind
{
    public override string Name => "pad";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("to", ArgumentType.Output, "size_of"),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        if (!input.IsMap) return context.WrongRank("a feature map (C x H x W)");
        if (context.OutputShape("to") is not { } target) return null;
        if (!target.IsMap) return context.BadArgument("to", $"names an output of shape {target}; padding takes its height and width from a feature map");
        if (target.Height < input.Height || target.Width < input.Width)
        {
            context.Report(DiagnosticCatalog.ShapeMismatch, context.Span, context.Describe, Name, input,
                $"a map at most {target.Height}x{target.Width}, the size of '{context.Args["to"]}' it is padded to (padding only enlarges; 'crop(to=...)' shrinks)");
            return null;
        }
        return new LayerResult(Shape.Map(input.Channels, target.Height, target.Width), 0, 0,
            new ForwardOp("Forward.PadTo({0}, {1})"))
        {
            Detail = $"to {target.Height}x{target.Width}",
            SizeRule = new SpatialRule(_ => target.HeightFormula, _ => target.WidthFormula),
            ReadsOutput = "to",
            Operation = new PadToOp(),
        };
    }
}

/// <summary>The first input zero-padded to the second input's height and width, the extra split floor-half before, the rest after.</summary>
public sealed record PadToOp : Operation
{
    public override string Kind => "pad_to";
}
