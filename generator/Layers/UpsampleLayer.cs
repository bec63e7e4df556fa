using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>upsample(factor, bilinear=true, align_corners=false)</c>: enlarges H and W by an integer factor (FCN-style heads);
/// <c>upsample(to=name)</c>: resizes to the height and width of an earlier output (torchvision's segmentation heads
/// interpolate to the input's size, an FPN's top-down path to the lateral map's). Bilinear or nearest, with PyTorch's
/// <c>align_corners</c>; no parameters.
/// </summary>
public sealed class UpsampleLayer : LayerKind
{
    public override string Name => "upsample";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Optional("factor", ArgumentType.Count, Value.Of(1), "scale_factor"),
        ParameterSpec.Optional("bilinear", ArgumentType.Bool, Value.Of(true)),
        ParameterSpec.Optional("to", ArgumentType.Output, Value.Of(""), "size_of"),
        ParameterSpec.Optional("align_corners", ArgumentType.Bool, Value.Of(false)),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        if (!input.IsMap) return context.WrongRank("a feature map (C x H x W)");
        var args = context.Args;
        var bilinear = args.Bool("bilinear");
        var alignCorners = args.Bool("align_corners");
        if (alignCorners && !bilinear) return context.BadArgument("align_corners", "applies to bilinear upsampling only (PyTorch refuses it for nearest)");
        var mode = bilinear ? $"InterpolationMode.Bilinear, align_corners: {(alignCorners ? "true" : "false")}" : "InterpolationMode.Nearest";
        var modeName = bilinear ? "bilinear" : "nearest";
        if (args.IsGiven("to"))
        {
            if (args.IsGiven("factor")) return context.BadArgument("factor", "and 'to' both set the size; give one");
            // The reference's shape is unknown only after an error reported where it was made.
            if (context.OutputShape("to") is not { } target) return null;
            if (!target.IsMap) return context.BadArgument("to", $"names an output of shape {target}; upsampling takes its height and width from a feature map");
            return new LayerResult(Shape.Map(input.Channels, target.Height, target.Width), 0, 0,
                new ForwardOp($"Forward.ResizeTo({{0}}, {{1}}, {(bilinear ? "true" : "false")}, {(alignCorners ? "true" : "false")})"))
            {
                Detail = $"to {target.Height}x{target.Width}",
                SizeRule = new SpatialRule(_ => target.HeightFormula, _ => target.WidthFormula),
                ReadsOutput = "to",
                Operation = new ResizeToOp(modeName, alignCorners),
            };
        }
        if (!args.IsGiven("factor")) return context.BadArgument("factor", "or 'to' is needed: 'upsample(2)' doubles height and width, 'upsample(to=enc1)' matches an earlier output's");
        var factor = args.Int("factor");
        if (factor > 1024) return context.BadArgument("factor", $"is {factor}, far more than any network upsamples");
        var height = checked(input.Height * factor);
        var width = checked(input.Width * factor);
        return new LayerResult(Shape.Map(input.Channels, height, width), 0, 0,
            // A scale factor, not a fixed size, so a network that accepts other input sizes scales with them.
            new ForwardOp($"functional.interpolate({{0}}, scale_factor: new double[] {{{{ {factor}, {factor} }}}}, mode: {mode})"))
        {
            Detail = $"x{factor}",
            SizeRule = SpatialRule.Scaled(factor),
            Operation = new UpsampleOp(factor, modeName) { AlignCorners = alignCorners },
        };
    }
}

/// <summary>Height and width times <c>Factor</c>: <c>Mode</c> "nearest", or "bilinear" (PyTorch's interpolate, corners aligned or not).</summary>
public sealed record UpsampleOp(long Factor, string Mode) : Operation
{
    public override string Kind => "upsample";

    /// <summary>PyTorch's <c>align_corners</c> (bilinear only).</summary>
    public bool AlignCorners { get; init; }
}

/// <summary>
/// The first input resized to the second input's height and width (PyTorch's <c>interpolate(x, size=ref.shape[-2:])</c>):
/// <c>Mode</c> "nearest" or "bilinear", with <c>align_corners</c>.
/// </summary>
public sealed record ResizeToOp(string Mode, bool AlignCorners) : Operation
{
    public override string Kind => "resize_to";
}
