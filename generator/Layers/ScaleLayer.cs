using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary><c>scale(factor)</c>: multiplies by a constant (no parameters).</summary>
public sealed class ScaleLayer : LayerKind
{
    public override string Name => "scale";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("factor", ArgumentType.Number),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var factor = context.Args["factor"];
        var text = factor.IsDynamic ? factor.ToCSharp() : Value.FormatDouble(factor.AsDouble);
        return new LayerResult(context.Input, 0, 0, new ForwardOp($"Forward.Mul({{0}}, {text})", $"Forward.Mul_({{0}}, {text})")) { Detail = $"x{factor}", Operation = new ScaleOp(Scalar.Of(factor)) };
    }
}

/// <summary>Every value times a constant <c>Factor</c>.</summary>
public sealed record ScaleOp(Scalar Factor) : Operation
{
    public override string Kind => "scale";
}
