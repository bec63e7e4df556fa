using System.Collections.Generic;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary><c>adaptive_avgpool(size)</c>: average pooling to a fixed output size (torchvision's AdaptiveAvgPool2d).</summary>
public sealed class AdaptiveAvgPoolLayer : LayerKind
{
    public override string Name => "adaptive_avgpool";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("size", ArgumentType.Pair, "output_size"),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        if (!context.Input.IsMap) return context.WrongRank("a feature map (C x H x W)");
        var size = context.Args.Pair("size");
        if (size.H < 1 || size.W < 1) return context.BadArgument("size", "must be at least 1");
        return new LayerResult(Shape.Map(context.Input.Channels, size.H, size.W), 0, 0,
            new ForwardOp($"functional.adaptive_avg_pool2d({{0}}, {Spatial.Tuple(size)})"))
        {
            Detail = Spatial.Describe(size),
            Operation = new AdaptiveAvgPoolOp(size),
            SizeRule = SpatialRule.Fixed(size.H, size.W),
        };
    }
}

/// <summary>Adaptive average pooling to a fixed height and width (PyTorch's adaptive_avg_pool2d).</summary>
public sealed record AdaptiveAvgPoolOp(Pair Size) : Operation
{
    public override string Kind => "adaptive_avgpool";
}
