using System.Collections.Generic;
using CnnGen.Generator.Expressions;

namespace CnnGen.Generator.Layers;

/// <summary><c>linear(out, bias=true)</c>: a fully connected layer on a flat vector. Parameters: in * out + out.</summary>
public sealed class LinearLayer : LayerKind
{
    public override string Name => "linear";

    public override IReadOnlyList<string> Aliases => new[] { "fc", "dense" };

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("out", ArgumentType.Count, "out_features", "units"),
        ParameterSpec.Optional("bias", ArgumentType.Bool, Value.Of(true)),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        if (input.IsMap) return context.WrongRank("a flat vector");
        var inFeatures = input.Channels;
        var outFeatures = context.Args["out"];
        var bias = context.Args.Bool("bias");
        var weights = checked(inFeatures.Int * outFeatures.Int);
        return new LayerResult(Shape.Flat(outFeatures), checked(weights + (bias ? outFeatures.Int : 0)), weights, ForwardOp.Module)
        {
            ModuleType = "TorchSharp.Modules.Linear",
            Construct = $"nn.Linear({inFeatures.ToCSharp()}, {outFeatures.ToCSharp()}{(bias ? "" : ", hasBias: false")})",
        };
    }
}
