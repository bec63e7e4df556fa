using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary><c>leaky_relu(slope=0.01)</c>: x for x >= 0, slope * x below (torch's negative_slope). No parameters.</summary>
public sealed class LeakyReluLayer : LayerKind
{
    public override string Name => "leaky_relu";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Optional("slope", ArgumentType.Number, Value.Of(0.01), "negative_slope"),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var slope = context.Args["slope"];
        if (slope.IsDynamic) return context.BadArgument("slope", "must be fixed at compile time; it cannot depend on a model argument");
        var text = Value.FormatDouble(slope.AsDouble);
        // In place, autograd keeps the output (its sign tells the slope), as for relu.
        return new LayerResult(context.Input, 0, 0, new ForwardOp($"Forward.LeakyRelu({{0}}, {text})", $"Forward.LeakyRelu_({{0}}, {text})", SavesOutput: true))
        {
            Detail = $"slope={text}",
            Operation = new LeakyReluOp(slope.AsDouble),
        };
    }
}

/// <summary>max(x, 0) + Slope * min(x, 0).</summary>
public sealed record LeakyReluOp(double Slope) : Operation
{
    public override string Kind => "leaky_relu";
}
