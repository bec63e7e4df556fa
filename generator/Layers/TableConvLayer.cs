using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>tableconv(out, k, s=1, p=0, bias=true)</c>: a convolution in which each output map sees only some
/// input maps, after the connection table of LeCun et al. 1998 (Table I: the 16 C3 maps over the 6 S2
/// maps), so it takes 6 maps in and gives 16 out. Runtime module <c>CnnGen.Runtime.TableConv2d</c>, whose
/// parameters are only the connected kernels: <c>weight</c> [60, kh, kw] and <c>bias</c> [16].
/// Parameters: 60 * kh * kw (+16); 1,516 for C3's 5x5 kernels.
/// </summary>
public sealed class TableConvLayer : LayerKind
{
    /// <summary>
    /// Table I of the paper: the S2 maps each C3 map takes its input from. Maps 0-5 see three
    /// neighbouring maps, 6-11 four neighbouring, 12-14 four non-neighbouring, 15 all six.
    /// </summary>
    internal static readonly int[][] LeCunC3 =
    {
        new[] { 0, 1, 2 }, new[] { 1, 2, 3 }, new[] { 2, 3, 4 }, new[] { 3, 4, 5 }, new[] { 0, 4, 5 }, new[] { 0, 1, 5 },
        new[] { 0, 1, 2, 3 }, new[] { 1, 2, 3, 4 }, new[] { 2, 3, 4, 5 }, new[] { 0, 3, 4, 5 }, new[] { 0, 1, 4, 5 }, new[] { 0, 1, 2, 5 },
        new[] { 0, 1, 3, 4 }, new[] { 1, 2, 4, 5 }, new[] { 0, 2, 3, 5 },
        new[] { 0, 1, 2, 3, 4, 5 },
    };

    private const int TableInputs = 6;

    public override string Name => "tableconv";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("out", ArgumentType.Count, "out_channels", "filters"),
        ParameterSpec.Required("kernel", ArgumentType.Pair, "k", "kernel_size"),
        ParameterSpec.Optional("stride", ArgumentType.Pair, Value.Of(1), "s"),
        ParameterSpec.Optional("padding", ArgumentType.Pair, Value.Of(0), "p"),
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
        var bias = args.Bool("bias");
        if (kernel.H < 1 || kernel.W < 1) return context.BadArgument("kernel", "must be at least 1");
        if (stride.H < 1 || stride.W < 1) return context.BadArgument("stride", "must be at least 1");
        if (outChannels.IsDynamic || outChannels.Int != LeCunC3.Length)
            return context.BadArgument("out", $"must be {LeCunC3.Length}: the connection table is Table I of LeCun et al. 1998 ({LeCunC3.Length} C3 maps over {TableInputs} S2 maps)");
        if (input.Channels.IsDynamic || input.Channels.Int != TableInputs)
        {
            context.Report(DiagnosticCatalog.ChannelMismatch, context.Span, context.Describe, Name, input,
                $"the connection table (Table I of LeCun et al. 1998) takes exactly {TableInputs} input maps fixed at compile time");
            return null;
        }

        var height = Spatial.Output(input.Height, kernel.H, stride.H, padding.H, 1, ceilMode: false);
        var width = Spatial.Output(input.Width, kernel.W, stride.W, padding.W, 1, ceilMode: false);
        if (height < 1 || width < 1)
        {
            context.Report(DiagnosticCatalog.SpatialTooSmall, context.Span, context.Describe, Name, input, $"{outChannels.Int}x{height}x{width}",
                $"a {Spatial.Window(kernel)} kernel with padding {Spatial.Describe(padding)} does not fit in {input.Height}x{input.Width}");
            return null;
        }

        // Only the connected kernels are parameters (60 of the 96 input/output pairs).
        long connections = LeCunC3.Sum(row => row.Length);
        var weights = checked(connections * kernel.H * kernel.W);
        var parameters = checked(weights + (bias ? outChannels.Int : 0));
        var macs = checked(weights * height * width);
        return new LayerResult(Shape.Map(outChannels, height, width), parameters, macs, ForwardOp.Module)
        {
            HasModule = true,
            SizeRule = SpatialRule.Window(kernel, stride, padding, (1, 1), ceilMode: false),
            Operation = new TableConvOp(TableInputs, outChannels.Int, LeCunC3.Select(row => row.ToEquatableArray()).ToEquatableArray(), kernel, stride, padding, bias),
            Detail = $"{Spatial.Window(kernel)}" + (stride != (1, 1) ? $"/{Spatial.Describe(stride)}" : "") + $", table {connections}/{TableInputs * LeCunC3.Length}",
            // Only the connected kernels: weight [60, kh, kw], then bias [16].
            Tensors = bias
                ? new[] { StateTensor.Parameter("weight", connections, kernel.H, kernel.W), StateTensor.Parameter("bias", outChannels.Int) }
                : new[] { StateTensor.Parameter("weight", connections, kernel.H, kernel.W) },
        };
    }
}

/// <summary>A convolution where output channel o reads only the input channels <c>Table[o]</c> (LeNet-5's C3).</summary>
public sealed record TableConvOp(long In, long Out, EquatableArray<EquatableArray<int>> Table, Pair Kernel, Pair Stride, Pair Padding, bool Bias) : Operation
{
    public override string Kind => "table_conv";
}
