using System.Collections.Generic;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>convtranspose(out, k, s=1, p=0, output_padding=0, d=1, groups=1, bias=true)</c>: a transposed 2-D convolution,
/// TorchSharp's ConvTranspose2d (the U-Net's 2x2 up-convolution). Output size (H - 1)·s - 2p + d·(k - 1) + output_padding + 1;
/// parameters in · out/groups · kh · kw weights (PyTorch's weight is [in, out/groups, kh, kw]), plus out biases.
/// </summary>
public sealed class ConvTransposeLayer : LayerKind
{
    public override string Name => "convtranspose";

    public override IReadOnlyList<string> Aliases => new[] { "conv_transpose", "convtranspose2d" };

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("out", ArgumentType.Count, "out_channels", "filters"),
        ParameterSpec.Required("kernel", ArgumentType.Pair, "k", "kernel_size"),
        ParameterSpec.Optional("stride", ArgumentType.Pair, Value.Of(1), "s"),
        ParameterSpec.Optional("padding", ArgumentType.Pair, Value.Of(0), "p"),
        ParameterSpec.Optional("output_padding", ArgumentType.Pair, Value.Of(0), "op"),
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
        var padding = args.Pair("padding");
        var outputPadding = args.Pair("output_padding");
        var dilation = args.Pair("dilation");
        var groups = args.Int("groups");
        var bias = args.Bool("bias");
        if (kernel.H < 1 || kernel.W < 1) return context.BadArgument("kernel", "must be at least 1");
        if (stride.H < 1 || stride.W < 1) return context.BadArgument("stride", "must be at least 1");
        if (dilation.H < 1 || dilation.W < 1) return context.BadArgument("dilation", "must be at least 1");
        // PyTorch: output padding must be smaller than either stride or dilation.
        if (outputPadding.H >= System.Math.Max(stride.H, dilation.H) || outputPadding.W >= System.Math.Max(stride.W, dilation.W))
            return context.BadArgument("output_padding", $"is {Spatial.Describe(outputPadding)}; it must be smaller than the stride or the dilation (PyTorch's rule)");

        var inChannels = input.Channels;
        if (inChannels.Int % groups != 0 || outChannels.Int % groups != 0)
        {
            var which = inChannels.Int % groups != 0 ? $"{inChannels.Int} input channels" : $"{outChannels.Int} output channels";
            context.Report(DiagnosticCatalog.ChannelMismatch, args.SpanOf("groups", context.Span), context.Describe, Name, input, $"groups={groups} does not divide {which}");
            return null;
        }
        var height = checked((input.Height - 1) * stride.H - 2 * padding.H + dilation.H * (kernel.H - 1) + outputPadding.H + 1);
        var width = checked((input.Width - 1) * stride.W - 2 * padding.W + dilation.W * (kernel.W - 1) + outputPadding.W + 1);
        if (height < 1 || width < 1)
        {
            context.Report(DiagnosticCatalog.SpatialTooSmall, context.Span, context.Describe, Name, input, $"{outChannels.Int}x{height}x{width}",
                $"padding {Spatial.Describe(padding)} removes more than a {Spatial.Window(kernel)} transposed convolution adds to {input.Height}x{input.Width}");
            return null;
        }

        var weights = checked(inChannels.Int * (outChannels.Int / groups) * kernel.H * kernel.W);
        var parameters = checked(weights + (bias ? outChannels.Int : 0));
        // Every input pixel scatters its kernel into the output.
        var macs = checked(weights * input.Height * input.Width);

        return new LayerResult(Shape.Map(outChannels, height, width), parameters, macs, ForwardOp.Module)
        {
            HasModule = true,
            SizeRule = new SpatialRule(
                f => f?.Transposed(kernel.H, stride.H, padding.H, dilation.H, outputPadding.H),
                f => f?.Transposed(kernel.W, stride.W, padding.W, dilation.W, outputPadding.W)),
            Detail = $"{Spatial.Window(kernel)}" + (stride != (1, 1) ? $"/{Spatial.Describe(stride)}" : "") + " transposed",
            Operation = new ConvTranspose2dOp(Dim.Of(inChannels), Dim.Of(outChannels), kernel, stride, padding, outputPadding, dilation, Dim.Of(args["groups"]), bias),
            // nn.ConvTranspose2d: weight [in, out/groups, kh, kw], then bias [out].
            Tensors = bias
                ? new[] { StateTensor.Parameter("weight", inChannels.Int, outChannels.Int / groups, kernel.H, kernel.W), StateTensor.Parameter("bias", outChannels.Int) }
                : new[] { StateTensor.Parameter("weight", inChannels.Int, outChannels.Int / groups, kernel.H, kernel.W) },
        };
    }
}

/// <summary>A transposed 2-D convolution (PyTorch's ConvTranspose2d); its weight is [In, Out/Groups, kh, kw].</summary>
public sealed record ConvTranspose2dOp(Dim In, Dim Out, Pair Kernel, Pair Stride, Pair Padding, Pair OutputPadding, Pair Dilation, Dim Groups, bool Bias) : Operation
{
    public override string Kind => "conv_transpose";
}
