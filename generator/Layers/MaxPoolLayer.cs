using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary><c>maxpool(k, s=k, p=0, ceil=false)</c>: max pooling, no parameters.</summary>
public sealed class MaxPoolLayer : LayerKind
{
    public override string Name => "maxpool";

    public override IReadOnlyList<string> Aliases => new[] { "max_pool", "maxpool2d" };

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("kernel", ArgumentType.Pair, "k", "kernel_size"),
        ParameterSpec.Optional("stride", ArgumentType.Pair, Value.Of(0), "s"),
        ParameterSpec.Optional("padding", ArgumentType.Padding, Value.Of(0), "p"),
        ParameterSpec.Optional("ceil", ArgumentType.Bool, Value.Of(false), "ceil_mode"),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var window = PoolWindow.Analyze(context, Name, (1, 1));
        if (window is null) return null;
        return new LayerResult(window.Output, 0, 0, new ForwardOp($"functional.max_pool2d({{0}}, {PoolWindow.Arguments(window)})"))
        {
            Detail = PoolWindow.Detail(window),
            Operation = new MaxPoolOp(window.Kernel, window.Stride, window.Padding, window.Ceil),
            SizeRule = PoolWindow.Rule(window),
        };
    }
}

/// <summary>Max pooling (PyTorch's max_pool2d; padding counts as minus infinity).</summary>
public sealed record MaxPoolOp(Pair Kernel, Pair Stride, Pair Padding, bool CeilMode) : Operation
{
    public override string Kind => "maxpool";
}
