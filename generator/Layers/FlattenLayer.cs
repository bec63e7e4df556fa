using System;
using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary><c>flatten</c>: a C x H x W feature map to a vector of C*H*W features (a view, no copy).</summary>
public sealed class FlattenLayer : LayerKind
{
    public override string Name => "flatten";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = Array.Empty<ParameterSpec>();

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        if (!input.IsMap) return new LayerResult(input, 0, 0, new ForwardOp("{0}.flatten(1)", MayAlias: true)) { Operation = new FlattenOp() };
        var area = checked(input.Height * input.Width);
        var features = Value.Of(checked(input.Channels.Int * area));
        if (input.Channels.IsDynamic) features = features.WithSymbolic(new BinaryOp("*", input.Channels.AsExpr(), new ConstantExpr(Value.Of(area))));
        return new LayerResult(Shape.Flat(features), 0, 0, new ForwardOp("{0}.flatten(1)", MayAlias: true)) { SizeRule = SpatialRule.Flatten, Operation = new FlattenOp() };
    }
}

/// <summary>Everything after the batch dimension as one vector, channels first (PyTorch's flatten(1)).</summary>
public sealed record FlattenOp : Operation
{
    public override string Kind => "flatten";
}
