using System.Collections.Generic;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>conv(out, k, s=1, p=0, d=1, groups=1, bias=true)</c>: a 2-D convolution, TorchSharp's Conv2d.
/// Parameters: out * in/groups * kh * kw weights, plus out biases.
/// </summary>
public sealed class ConvLayer : LayerKind
{
    public override string Name => "conv";

    public override IReadOnlyList<string> Aliases => new[] { "conv2d" };

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("out", ArgumentType.Count, "out_channels", "filters"),
        ParameterSpec.Required("kernel", ArgumentType.Pair, "k", "kernel_size"),
        ParameterSpec.Optional("stride", ArgumentType.Pair, Value.Of(1), "s"),
        ParameterSpec.Optional("padding", ArgumentType.Padding, Value.Of(0), "p"),
        ParameterSpec.Optional("dilation", ArgumentType.Pair, Value.Of(1), "d"),
        ParameterSpec.Optional("groups", ArgumentType.Count, Value.Of(1), "g"),
        ParameterSpec.Optional("bias", ArgumentType.Bool, Value.Of(true)),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        if (!input.IsMap) return context.WrongRank("a feature map (C x H x W)");
        var args = context.Args;
        var outChannels = args["out"];
        var kernel = args.Pair("kernel");
        var stride = args.Pair("stride");
        var dilation = args.Pair("dilation");
        string? sameProblem = null;
        var same = args.IsSame("padding") ? Spatial.Same(kernel, stride, dilation, out sameProblem) : null;
        if (args.IsSame("padding") && same is null) return context.BadArgument("padding", sameProblem!);
        var padding = same ?? args.Pair("padding");
        var groups = args.Int("groups");
        var bias = args.Bool("bias");
        if (stride.H < 1 || stride.W < 1) return context.BadArgument("stride", "must be at least 1");
        if (dilation.H < 1 || dilation.W < 1) return context.BadArgument("dilation", "must be at least 1");
        if (kernel.H < 1 || kernel.W < 1) return context.BadArgument("kernel", "must be at least 1");

        var inChannels = input.Channels;
        if (inChannels.Int % groups != 0 || outChannels.Int % groups != 0)
        {
            var which = inChannels.Int % groups != 0 ? $"{inChannels.Int} input channels" : $"{outChannels.Int} output channels";
            context.Report(DiagnosticCatalog.ChannelMismatch, args.SpanOf("groups", context.Span), context.Describe, Name, input,
                $"groups={groups} does not divide {which}");
            return null;
        }

        var height = Spatial.Output(input.Height, kernel.H, stride.H, padding.H, dilation.H, ceilMode: false);
        var width = Spatial.Output(input.Width, kernel.W, stride.W, padding.W, dilation.W, ceilMode: false);
        if (height < 1 || width < 1)
        {
            context.Report(DiagnosticCatalog.SpatialTooSmall, context.Span, context.Describe, Name, input, $"{outChannels.Int}x{height}x{width}",
                $"a {Spatial.Window(kernel)} kernel with dilation {Spatial.Describe(dilation)} and padding {Spatial.Describe(padding)} does not fit in {input.Height}x{input.Width}");
            return null;
        }

        var weights = checked(outChannels.Int * (inChannels.Int / groups) * kernel.H * kernel.W);
        var parameters = checked(weights + (bias ? outChannels.Int : 0));
        var macs = checked(weights * height * width);

        var detail = $"{Spatial.Window(kernel)}" + (stride != (1, 1) ? $"/{Spatial.Describe(stride)}" : "") + (groups != 1 ? $", g={groups}" : "");
        return new LayerResult(Shape.Map(outChannels, height, width), parameters, macs, new ForwardOp("Forward.Conv2d({m}, {0})"))
        {
            HasModule = true,
            SizeRule = SpatialRule.Window(kernel, stride, padding, dilation, ceilMode: false),
            Detail = detail,
            Operation = new Conv2dOp(Dim.Of(inChannels), Dim.Of(outChannels), kernel, stride, padding, dilation, Dim.Of(args["groups"]), bias),
            Pointwise = kernel == (1, 1) && padding == (0, 0) && groups == 1,
            // nn.Conv2d: weight [out, in/groups, kh, kw], then bias [out].
            Tensors = bias
                ? new[] { StateTensor.Parameter("weight", outChannels.Int, inChannels.Int / groups, kernel.H, kernel.W), StateTensor.Parameter("bias", outChannels.Int) }
                : new[] { StateTensor.Parameter("weight", outChannels.Int, inChannels.Int / groups, kernel.H, kernel.W) },
        };
    }
}

/// <summary>A 2-D convolution (PyTorch's Conv2d); a depthwise one has <c>Groups</c> equal to <c>In</c>.</summary>
public sealed record Conv2dOp(Dim In, Dim Out, Pair Kernel, Pair Stride, Pair Padding, Pair Dilation, Dim Groups, bool Bias) : Operation
{
    public override string Kind => "conv";
}
