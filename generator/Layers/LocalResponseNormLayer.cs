using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>lrn(size, alpha=1e-4, beta=0.75, k=1)</c>: local response normalisation across channels
/// (AlexNet, GoogLeNet); PyTorch's and Caffe's formula: x / (k + alpha/size * sum x^2)^beta. No parameters.
/// </summary>
public sealed class LocalResponseNormLayer : LayerKind
{
    public override string Name => "lrn";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("size", ArgumentType.Count, "local_size", "n"),
        ParameterSpec.Optional("alpha", ArgumentType.Number, Value.Of(1e-4)),
        ParameterSpec.Optional("beta", ArgumentType.Number, Value.Of(0.75)),
        ParameterSpec.Optional("k", ArgumentType.Number, Value.Of(1.0), "bias"),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        if (!context.Input.IsMap) return context.WrongRank("a feature map (C x H x W)");
        var args = context.Args;
        return new LayerResult(context.Input, 0, 0, ForwardOp.Module)
        {
            HasModule = true,
            Detail = $"n={args.Int("size")}",
            Operation = new LocalResponseNormOp(args.Int("size"), args.Number("alpha"), args.Number("beta"), args.Number("k")),
        };
    }
}

/// <summary>Local response normalisation across <c>Size</c> neighbouring channels (PyTorch's LocalResponseNorm).</summary>
public sealed record LocalResponseNormOp(long Size, double Alpha, double Beta, double K) : Operation
{
    public override string Kind => "lrn";
}
