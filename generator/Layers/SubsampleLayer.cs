using System.Collections.Generic;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>subsample(k=2)</c>: LeNet-5's trainable subsampling (LeCun et al. 1998, S2 and S4). Each map sums
/// its non-overlapping k x k windows, multiplies the sum by its own trainable coefficient and adds its
/// own trainable bias (the squashing that follows is a separate layer). Runtime module
/// <c>CnnGen.Runtime.TrainableSubsample</c> with <c>weight</c> [C] and <c>bias</c> [C].
/// Parameters: 2 * C.
/// </summary>
public sealed class SubsampleLayer : LayerKind
{
    public override string Name => "subsample";

    public override IReadOnlyList<string> Aliases => new[] { "trainable_subsample" };

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Optional("kernel", ArgumentType.Count, Value.Of(2), "k", "kernel_size"),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        if (!input.IsMap) return context.WrongRank("a feature map (C x H x W)");
        var channels = input.Channels;
        var kernel = context.Args.Int("kernel");
        var height = Spatial.Output(input.Height, kernel, kernel, 0, 1, ceilMode: false);
        var width = Spatial.Output(input.Width, kernel, kernel, 0, 1, ceilMode: false);
        if (height < 1 || width < 1)
        {
            context.Report(DiagnosticCatalog.SpatialTooSmall, context.Args.SpanOf("kernel", context.Span), context.Describe, Name, input,
                $"{channels.Int}x{height}x{width}", $"a {kernel}x{kernel} window does not fit in {input.Height}x{input.Width}");
            return null;
        }

        // One coefficient and one bias per map; one multiply per output value.
        var parameters = checked(2 * channels.Int);
        var macs = checked(channels.Int * height * width);
        return new LayerResult(Shape.Map(channels, height, width), parameters, macs, ForwardOp.Module)
        {
            HasModule = true,
            Detail = $"{kernel}x{kernel} sum, x w + b",
            Operation = new TrainableSubsampleOp(Dim.Of(channels), kernel),
            SizeRule = SpatialRule.Window((kernel, kernel), (kernel, kernel), (0, 0), (1, 1), ceilMode: false),
            Tensors = new[] { StateTensor.Parameter("weight", channels.Int), StateTensor.Parameter("bias", channels.Int) },
        };
    }
}

/// <summary>LeNet-5's subsampling: the sum over a Kernel x Kernel window (stride Kernel) times a learned weight plus a learned bias, per channel.</summary>
public sealed record TrainableSubsampleOp(Dim Channels, long Kernel) : Operation
{
    public override string Kind => "subsample";
}
