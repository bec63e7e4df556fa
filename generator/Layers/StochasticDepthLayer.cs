using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>stochastic_depth(p)</c>: in training, each sample's whole tensor is zeroed with probability p and the
/// survivors scaled by 1 / (1 - p); in eval mode the identity (torchvision.ops.StochasticDepth, mode "row").
/// Ending a residual body with it drops that body per sample, as EfficientNet and ConvNeXt do. No parameters,
/// and no module: torchvision's StochasticDepth has no state-dict entries.
/// </summary>
public sealed class StochasticDepthLayer : LayerKind
{
    public override string Name => "stochastic_depth";

    public override IReadOnlyList<string> Aliases => new[] { "drop_path" };

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("p", ArgumentType.Number, "rate"),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var p = context.Args["p"];
        if (p.AsDouble < 0 || p.AsDouble > 1) return context.BadArgument("p", $"is {p} but must be between 0 and 1");
        var rate = p.Kind == ValueKind.Int ? Value.FormatDouble(p.Int) : p.ToCSharp();
        // The rate may read a model argument: forward sees the arguments as fields of the same names.
        // In place (a per-sample factor that does not learn; nothing at all in eval) whenever the input is ours and
        // used here last; when autograd saved the input, consuming it (nothing in eval, a new tensor in training);
        // only an input still needed elsewhere gets a new tensor, or in eval a new handle on it.
        var arguments = $"({{0}}, {rate}, training)";
        return new LayerResult(context.Input, 0, 0, new ForwardOp("Forward.StochasticDepth" + arguments, "Forward.StochasticDepth_" + arguments, MayAlias: true,
            Consuming: "Forward.StochasticDepthConsuming" + arguments))
        {
            // Four significant digits: EfficientNet's and ConvNeXt's rates are fractions like 0.0058823529411764705.
            Detail = $"p={p.AsDouble.ToString("G4", System.Globalization.CultureInfo.InvariantCulture)}",
            Operation = new StochasticDepthOp(Scalar.Of(p)),
        };
    }
}

/// <summary>torchvision's stochastic depth in "row" mode: in training each sample is dropped with rate <c>P</c> and the rest scaled by 1 / (1 - P); the identity in eval.</summary>
public sealed record StochasticDepthOp(Scalar P) : Operation
{
    public override string Kind => "stochastic_depth";
}
