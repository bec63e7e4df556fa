using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary><c>avgpool(k, s=k, p=0, ceil=false, count_include_pad=true)</c>: average pooling, no parameters.</summary>
public sealed class AvgPoolLayer : LayerKind
{
    public override string Name => "avgpool";

    public override IReadOnlyList<string> Aliases => new[] { "avg_pool", "avgpool2d" };

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("kernel", ArgumentType.Pair, "k", "kernel_size"),
        ParameterSpec.Optional("stride", ArgumentType.Pair, Value.Of(0), "s"),
        ParameterSpec.Optional("padding", ArgumentType.Padding, Value.Of(0), "p"),
        ParameterSpec.Optional("ceil", ArgumentType.Bool, Value.Of(false), "ceil_mode"),
        ParameterSpec.Optional("count_include_pad", ArgumentType.Bool, Value.Of(true)),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var window = PoolWindow.Analyze(context, Name, (1, 1));
        if (window is null) return null;
        var arguments = PoolWindow.Arguments(window);
        if (!context.Args.Bool("count_include_pad")) arguments += ", count_include_pad: false";
        return new LayerResult(window.Output, 0, 0, new ForwardOp($"functional.avg_pool2d({{0}}, {arguments})"))
        {
            Detail = PoolWindow.Detail(window),
            Operation = new AvgPoolOp(window.Kernel, window.Stride, window.Padding, window.Ceil, context.Args.Bool("count_include_pad")),
            SizeRule = PoolWindow.Rule(window),
        };
    }
}

/// <summary>Average pooling (PyTorch's avg_pool2d).</summary>
public sealed record AvgPoolOp(Pair Kernel, Pair Stride, Pair Padding, bool CeilMode, bool CountIncludePad) : Operation
{
    public override string Kind => "avgpool";
}
