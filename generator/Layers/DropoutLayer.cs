using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary><c>dropout(p=0.5)</c>: active in training mode only; no parameters.</summary>
public sealed class DropoutLayer : LayerKind
{
    public override string Name => "dropout";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Optional("p", ArgumentType.Number, Value.Of(0.5), "rate"),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var p = context.Args["p"];
        if (p.AsDouble < 0 || p.AsDouble > 1) return context.BadArgument("p", $"is {p} but must be between 0 and 1");
        // A module (no state), as torchvision has, so that dropout can be switched off on its own
        // (model.train() with every Dropout in eval). In eval mode it returns its input, so the
        // result may share storage with it.
        return new LayerResult(context.Input, 0, 0, ForwardOp.Module with { MayAlias = true })
        {
            HasModule = true,
            Detail = $"p={p}",
            Operation = new DropoutOp(Scalar.Of(p)),
        };
    }
}

/// <summary>Dropout with rate <c>P</c> in training; the identity in eval.</summary>
public sealed record DropoutOp(Scalar P) : Operation
{
    public override string Kind => "dropout";
}
