using System.Collections.Generic;
using CnnGen.Generator.Expressions;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>dwconv(k, s=1, p=0, d=1, multiplier=1, bias=true)</c>: a depthwise convolution (one filter per
/// input channel: <c>conv(in*multiplier, groups=in)</c>), the first half of a depthwise-separable
/// convolution (Xception, MobileNet).
/// </summary>
public sealed class DepthwiseConvLayer : LayerKind
{
    private static readonly ConvLayer Conv = new();

    public override string Name => "dwconv";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("kernel", ArgumentType.Pair, "k", "kernel_size"),
        ParameterSpec.Optional("stride", ArgumentType.Pair, Value.Of(1), "s"),
        ParameterSpec.Optional("padding", ArgumentType.Padding, Value.Of(0), "p"),
        ParameterSpec.Optional("dilation", ArgumentType.Pair, Value.Of(1), "d"),
        ParameterSpec.Optional("multiplier", ArgumentType.Count, Value.Of(1), "depth_multiplier"),
        ParameterSpec.Optional("bias", ArgumentType.Bool, Value.Of(true)),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        if (!context.Input.IsMap) return context.WrongRank("a feature map (C x H x W)");
        var args = context.Args;
        var channels = context.Input.Channels;
        var multiplier = args["multiplier"];
        var conv = new BoundArguments();
        var span = context.Span;
        conv.Set("out", multiplier.Int == 1 ? channels : Evaluator.Dynamic(Value.Of(checked(channels.Int * multiplier.Int)), new BinaryOp("*", channels.AsExpr(), multiplier.AsExpr()), channels, multiplier), default);
        foreach (var name in new[] { "kernel", "stride", "padding", "dilation", "bias" })
            conv.Set(name, args[name], args.SpanOf(name, default));
        conv.Set("groups", channels, default);
        var result = Conv.Analyze(new LayerContext(context.Path, this, context.Input, conv, span, null, context.Problems));
        return result is null ? null : result with { Detail = "dw " + result.Detail.Replace($", g={channels.Int}", "") };
    }
}
