using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>upsample(factor, bilinear=true)</c>: enlarges H and W by an integer factor (segmentation
/// heads, FCN-style), bilinear without corner alignment or nearest; no parameters.
/// </summary>
public sealed class UpsampleLayer : LayerKind
{
    public override string Name => "upsample";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("factor", ArgumentType.Count, "scale_factor"),
        ParameterSpec.Optional("bilinear", ArgumentType.Bool, Value.Of(true)),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        if (!input.IsMap) return context.WrongRank("a feature map (C x H x W)");
        var factor = context.Args.Int("factor");
        if (factor > 1024) return context.BadArgument("factor", $"is {factor}, far more than any network upsamples");
        var height = checked(input.Height * factor);
        var width = checked(input.Width * factor);
        var mode = context.Args.Bool("bilinear") ? "InterpolationMode.Bilinear, align_corners: false" : "InterpolationMode.Nearest";
        return new LayerResult(Shape.Map(input.Channels, height, width), 0, 0,
            // A scale factor, not a fixed size, so a network that accepts other input sizes scales with them.
            new ForwardOp($"functional.interpolate({{0}}, scale_factor: new double[] {{{{ {factor}, {factor} }}}}, mode: {mode})"))
        {
            Detail = $"x{factor}",
            SizeRule = SpatialRule.Unknown,
            Operation = new UpsampleOp(factor, context.Args.Bool("bilinear") ? "bilinear" : "nearest"),
        };
    }
}

/// <summary>Height and width times <c>Factor</c>: <c>Mode</c> "nearest", or "bilinear" without corner alignment (PyTorch's interpolate).</summary>
public sealed record UpsampleOp(long Factor, string Mode) : Operation
{
    public override string Kind => "upsample";
}
