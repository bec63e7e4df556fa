using System;
using System.Collections.Generic;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>gap</c>: global average pooling to a flat vector of the channels, like Keras'
/// GlobalAveragePooling2D (torchvision's <c>avgpool</c> + <c>flatten</c> in one step).
/// </summary>
public sealed class GlobalAvgPoolLayer : LayerKind
{
    public override string Name => "gap";

    public override IReadOnlyList<string> Aliases => new[] { "global_avgpool" };

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = Array.Empty<ParameterSpec>();

    public override LayerResult? Analyze(LayerContext context)
    {
        if (!context.Input.IsMap) return context.WrongRank("a feature map (C x H x W)");
        // mean over H and W gives the same numbers as adaptive_avg_pool2d(1) + flatten, in one kernel.
        return new LayerResult(Shape.Flat(context.Input.Channels), 0, 0, new ForwardOp("{0}.mean(new long[] {{ 2, 3 }})")) { SizeRule = SpatialRule.ToVector, Operation = new GlobalAvgPoolOp() };
    }
}

/// <summary>The mean over height and width: a C x H x W map becomes a vector of C features.</summary>
public sealed record GlobalAvgPoolOp : Operation
{
    public override string Kind => "gap";
}
