using System.Collections.Generic;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>crop(to=name)</c>: the centre of the input, as large as an earlier output's height and width: the U-Net's
/// crop-and-copy (Ronneberger et al. 2015), whose unpadded convolutions leave the encoder's maps larger than the
/// decoder's. The top-left corner is at ((H - h) // 2, (W - w) // 2); no parameters, a view of the input.
/// </summary>
public sealed class CropLayer : LayerKind
{
    public override string Name => "crop";

    public override IReadOnlyList<string> Aliases => new[] { "center_crop" };

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("to", ArgumentType.Output, "size_of"),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        if (!input.IsMap) return context.WrongRank("a feature map (C x H x W)");
        if (context.OutputShape("to") is not { } target) return null;
        if (!target.IsMap) return context.BadArgument("to", $"names an output of shape {target}; a crop takes its height and width from a feature map");
        if (target.Height > input.Height || target.Width > input.Width)
        {
            context.Report(DiagnosticCatalog.ShapeMismatch, context.Span, context.Describe, Name, input,
                $"a map at least {target.Height}x{target.Width}, the size of '{context.Args["to"]}' it is cropped to (a crop only shrinks; 'upsample(to=...)' enlarges)");
            return null;
        }
        return new LayerResult(Shape.Map(input.Channels, target.Height, target.Width), 0, 0,
            new ForwardOp("Forward.CenterCrop({0}, {1})", MayAlias: true))
        {
            Detail = $"to {target.Height}x{target.Width}",
            SizeRule = new SpatialRule(_ => target.HeightFormula, _ => target.WidthFormula),
            ReadsOutput = "to",
            Operation = new CenterCropOp(),
        };
    }
}

/// <summary>The centre of the first input with the second input's height and width, its corner at ((H - h) // 2, (W - w) // 2).</summary>
public sealed record CenterCropOp : Operation
{
    public override string Kind => "center_crop";
}
