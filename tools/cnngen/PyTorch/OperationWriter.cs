using CnnGen.Generator.Graph;
using CnnGen.Generator.Layers;

namespace CnnGen.Tool.PyTorch;

/// <summary>
/// Each graph operation in torch's terms, as docs/graph-json.md defines it: the module a layer is (<c>nn.Conv2d</c>,
/// <c>nn.BatchNorm2d</c>, a helper class for LeNet-5's layers), the parameterless module a free layer gets
/// (<c>nn.ReLU()</c>), or the expression a forward computes in place (<c>F.relu(x)</c>, a residual's sum). An operation
/// it does not know is named in an error, never guessed.
/// </summary>
internal sealed class OperationWriter
{
    private readonly PythonExpressions _expressions;
    private readonly HashSet<string> _helpers;

    public OperationWriter(PythonExpressions expressions, HashSet<string> helpers)
    {
        _expressions = expressions;
        _helpers = helpers;
    }

    public PyValue Of(Dim dim) => dim.Expr is null ? PyValue.Of(dim.Value) : new PyValue(_expressions.Print(dim.Expr), false);

    public PyValue Of(Scalar scalar) => scalar.Expr is null ? PyValue.Of(scalar.Value) : new PyValue(_expressions.Print(scalar.Expr), false);

    private string Helper(string name)
    {
        _helpers.Add(name);
        return name;
    }

    /// <summary>Whether the operation is supported at all (checked for every node before anything is written).</summary>
    public static bool IsSupported(Operation operation) => operation is Conv2dOp or BatchNormOp or ActivationOp or LeakyReluOp or MaxPoolOp
        or AvgPoolOp or GlobalAvgPoolOp or AdaptiveAvgPoolOp or FlattenOp or LinearOp or DropoutOp or StochasticDepthOp
        or LocalResponseNormOp or LayerNormOp or LayerScaleOp or PermuteOp or ScaleOp or ChannelShuffleOp or UpsampleOp
        or TrainableSubsampleOp or TableConvOp or AddOp or MulOp or ConcatOp or ChannelSliceOp or ConvTranspose2dOp or CenterCropOp or PadToOp or ResizeToOp or DflOp;

    private static readonly IReadOnlyDictionary<string, (string Module, string Function)> Activations = new Dictionary<string, (string, string)>
    {
        ["relu"] = ("nn.ReLU()", "F.relu"),
        ["relu6"] = ("nn.ReLU6()", "F.relu6"),
        ["tanh"] = ("nn.Tanh()", "torch.tanh"),
        ["sigmoid"] = ("nn.Sigmoid()", "torch.sigmoid"),
        ["silu"] = ("nn.SiLU()", "F.silu"),
        ["gelu"] = ("nn.GELU()", "F.gelu"),
        ["hardswish"] = ("nn.Hardswish()", "F.hardswish"),
        ["hardsigmoid"] = ("nn.Hardsigmoid()", "F.hardsigmoid"),
    };

    public static bool IsKnownActivation(string function) => Activations.ContainsKey(function);

    /// <summary>The module (or parameter) a leaf registers, as a constructor call.</summary>
    public void Construct(Template t, GraphNode node, NetworkLayout layout, string local)
    {
        switch (node.Operation)
        {
            case Conv2dOp conv:
                t.Add("nn.Conv2d(").Value(Of(conv.In), "in_channels", local).Add(", ").Value(Of(conv.Out), "out_channels", local).Add(", ")
                    .Value(PyValue.Of(conv.Kernel), "kernel_size", local)
                    .Keyword("stride", PyValue.Of(conv.Stride), "1", local).Keyword("padding", PyValue.Of(conv.Padding), "0", local)
                    .Keyword("dilation", PyValue.Of(conv.Dilation), "1", local).Keyword("groups", Of(conv.Groups), "1", local)
                    .Keyword("bias", PyValue.Of(conv.Bias), "True", local).Add(")");
                break;
            case ConvTranspose2dOp transposed:
                t.Add("nn.ConvTranspose2d(").Value(Of(transposed.In), "in_channels", local).Add(", ").Value(Of(transposed.Out), "out_channels", local).Add(", ")
                    .Value(PyValue.Of(transposed.Kernel), "kernel_size", local)
                    .Keyword("stride", PyValue.Of(transposed.Stride), "1", local).Keyword("padding", PyValue.Of(transposed.Padding), "0", local)
                    .Keyword("output_padding", PyValue.Of(transposed.OutputPadding), "0", local).Keyword("groups", Of(transposed.Groups), "1", local)
                    .Keyword("bias", PyValue.Of(transposed.Bias), "True", local).Keyword("dilation", PyValue.Of(transposed.Dilation), "1", local).Add(")");
                break;
            case BatchNormOp bn:
                t.Add(layout.Shape(node.Inputs[0]).Dims.Count == 1 ? "nn.BatchNorm1d(" : "nn.BatchNorm2d(").Value(Of(bn.Channels), "num_features", local)
                    .Keyword("eps", Of(bn.Eps), PythonText.Float(1e-5), local).Keyword("momentum", Of(bn.Momentum), PythonText.Float(0.1), local)
                    .Keyword("affine", PyValue.Of(bn.Affine), "True", local).Add(")");
                break;
            case LinearOp linear:
                t.Add("nn.Linear(").Value(Of(linear.In), "in_features", local).Add(", ").Value(Of(linear.Out), "out_features", local)
                    .Keyword("bias", PyValue.Of(linear.Bias), "True", local).Add(")");
                break;
            case LayerNormOp norm:
                t.Add(norm.OverMapChannels ? Helper("LayerNorm2d") + "(" : "nn.LayerNorm(").Value(Of(norm.Channels), "normalized_shape", local)
                    .Keyword("eps", PyValue.Of(norm.Eps), PythonText.Float(1e-5), local).Keyword("elementwise_affine", PyValue.Of(norm.Affine), "True", local).Add(")");
                break;
            case LocalResponseNormOp lrn:
                t.Add("nn.LocalResponseNorm(").Value(PyValue.Of(lrn.Size), "size", local).Keyword("alpha", PyValue.Of(lrn.Alpha), PythonText.Float(1e-4), local)
                    .Keyword("beta", PyValue.Of(lrn.Beta), PythonText.Float(0.75), local).Keyword("k", PyValue.Of(lrn.K), PythonText.Float(1.0), local).Add(")");
                break;
            case DropoutOp dropout:
                t.Add("nn.Dropout(").Value(Of(dropout.P), "p", local).Add(")");
                break;
            case TrainableSubsampleOp subsample:
                t.Add(Helper("TrainableSubsample") + "(").Value(Of(subsample.Channels), "channels", local)
                    .Keyword("kernel_size", PyValue.Of(subsample.Kernel), "2", local).Add(")");
                break;
            case DflOp dfl:
                t.Add(Helper("DFL") + "(").Value(PyValue.Of(dfl.RegMax), "reg_max", local).Add(")");
                break;
            case TableConvOp table:
                var rows = string.Join(", ", table.Table.Select(row => "(" + string.Join(", ", row.Select(i => PythonText.Int(i))) + (row.Count == 1 ? ",)" : ")")));
                t.Add(Helper("TableConv2d") + "(").Value(PyValue.Of(table.In), "in_channels", local).Add(", ").Value(PyValue.Of(table.Out), "out_channels", local)
                    .Add($", ({rows}), ").Value(PyValue.Of(table.Kernel), "kernel_size", local)
                    .Keyword("stride", PyValue.Of(table.Stride), "1", local).Keyword("padding", PyValue.Of(table.Padding), "0", local)
                    .Keyword("bias", PyValue.Of(table.Bias), "True", local).Add(")");
                break;
            case LayerScaleOp scale:
                // nn.Parameter of the module above, [C, 1, 1] on a map, [C] on a vector, as the graph's tensor is.
                var map = node.Tensors.Count == 1 && node.Tensors[0].Shape.Count == 3;
                t.Add("nn.Parameter(torch.full((").Value(Of(scale.Channels), "channels", local).Add(map ? ", 1, 1), " : ",), ")
                    .Value(PyValue.Of(scale.Init), "init", local).Add("))");
                break;
            // The parameterless modules of free layers.
            case ActivationOp activation:
                t.Add(Activations[activation.Function].Module);
                break;
            case LeakyReluOp leaky:
                t.Add("nn.LeakyReLU(").Value(PyValue.Of(leaky.Slope), "negative_slope", local).Add(")");
                break;
            case MaxPoolOp pool:
                t.Add("nn.MaxPool2d(").Value(PyValue.Of(pool.Kernel), "kernel_size", local).Add(", ").Value(PyValue.Of(pool.Stride), "stride", local)
                    .Keyword("padding", PyValue.Of(pool.Padding), "0", local).Keyword("ceil_mode", PyValue.Of(pool.CeilMode), "False", local).Add(")");
                break;
            case AvgPoolOp pool:
                t.Add("nn.AvgPool2d(").Value(PyValue.Of(pool.Kernel), "kernel_size", local).Add(", ").Value(PyValue.Of(pool.Stride), "stride", local)
                    .Keyword("padding", PyValue.Of(pool.Padding), "0", local).Keyword("ceil_mode", PyValue.Of(pool.CeilMode), "False", local)
                    .Keyword("count_include_pad", PyValue.Of(pool.CountIncludePad), "True", local).Add(")");
                break;
            case AdaptiveAvgPoolOp pool:
                t.Add("nn.AdaptiveAvgPool2d(").Value(PyValue.Of(pool.Size), "output_size", local).Add(")");
                break;
            case GlobalAvgPoolOp:
                t.Add(Helper("GlobalAvgPool") + "()");
                break;
            case FlattenOp:
                t.Add("nn.Flatten()");
                break;
            case PermuteOp permute:
                t.Add(Helper("Permute") + (permute.ToChannelsLast ? "(0, 2, 3, 1)" : "(0, 3, 1, 2)"));
                break;
            case StochasticDepthOp depth:
                t.Add(Helper("StochasticDepth") + "(").Value(Of(depth.P), "p", local).Add(")");
                break;
            case ScaleOp scale:
                t.Add(Helper("Scale") + "(").Value(Of(scale.Factor), "factor", local).Add(")");
                break;
            case ChannelShuffleOp shuffle:
                t.Add(Helper("ChannelShuffle") + "(").Value(PyValue.Of(shuffle.Groups), "groups", local).Add(")");
                break;
            case UpsampleOp upsample:
                t.Add("nn.Upsample(scale_factor=").Value(PyValue.Of(upsample.Factor), "scale_factor", local)
                    .Add(UpsampleMode(upsample.Mode) == "bilinear" ? $", mode=\"bilinear\", align_corners={PythonText.Bool(upsample.AlignCorners)})" : ")");
                break;
            default:
                throw Unsupported(node);
        }
    }

    private static string UpsampleMode(string mode) => mode switch
    {
        "bilinear" => "bilinear",
        "nearest" => "nearest",
        _ => throw new PyTorchExportException(PyTorchExport.Unsupported, $"upsample mode '{PythonText.Comment(mode)}' has no PyTorch form"),
    };

    /// <summary>The expression a forward computes for a node without a module of its own, from its inputs' names.</summary>
    public void Function(Template t, GraphNode node, NetworkLayout layout, IReadOnlyList<string> inputs, string local)
    {
        var x = inputs[0];
        switch (node.Operation)
        {
            case ActivationOp activation:
                t.Add($"{Activations[activation.Function].Function}({x})");
                break;
            case LeakyReluOp leaky:
                t.Add($"F.leaky_relu({x}, ").Value(PyValue.Of(leaky.Slope), "negative_slope", local).Add(")");
                break;
            case MaxPoolOp pool:
                t.Add($"F.max_pool2d({x}, ").Value(PyValue.Of(pool.Kernel), "kernel_size", local).Add(", ").Value(PyValue.Of(pool.Stride), "stride", local)
                    .Keyword("padding", PyValue.Of(pool.Padding), "0", local).Keyword("ceil_mode", PyValue.Of(pool.CeilMode), "False", local).Add(")");
                break;
            case AvgPoolOp pool:
                t.Add($"F.avg_pool2d({x}, ").Value(PyValue.Of(pool.Kernel), "kernel_size", local).Add(", ").Value(PyValue.Of(pool.Stride), "stride", local)
                    .Keyword("padding", PyValue.Of(pool.Padding), "0", local).Keyword("ceil_mode", PyValue.Of(pool.CeilMode), "False", local)
                    .Keyword("count_include_pad", PyValue.Of(pool.CountIncludePad), "True", local).Add(")");
                break;
            case AdaptiveAvgPoolOp pool:
                t.Add($"F.adaptive_avg_pool2d({x}, ").Value(PyValue.Of(pool.Size), "output_size", local).Add(")");
                break;
            case GlobalAvgPoolOp:
                // As the C# class: the mean over dimensions 2 and 3 of the tensor.
                t.Add($"{x}.mean((2, 3))");
                break;
            case FlattenOp:
                t.Add($"torch.flatten({x}, 1)");
                break;
            case PermuteOp permute:
                t.Add(permute.ToChannelsLast ? $"{x}.permute(0, 2, 3, 1)" : $"{x}.permute(0, 3, 1, 2)");
                break;
            case StochasticDepthOp depth:
                t.Add($"{Helper("_stochastic_depth")}({x}, ").Value(Of(depth.P), "p", local).Add(", self.training)");
                break;
            case ScaleOp scale:
                t.Add($"{x} * ").Value(Of(scale.Factor), "factor", local);
                break;
            case ChannelShuffleOp shuffle:
                t.Add($"{Helper("_channel_shuffle")}({x}, ").Value(PyValue.Of(shuffle.Groups), "groups", local).Add(")");
                break;
            case UpsampleOp upsample:
                t.Add($"F.interpolate({x}, scale_factor=").Value(PyValue.Of(upsample.Factor), "scale_factor", local)
                    .Add(UpsampleMode(upsample.Mode) == "bilinear" ? $", mode=\"bilinear\", align_corners={PythonText.Bool(upsample.AlignCorners)})" : ", mode=\"nearest\")");
                break;
            case ResizeToOp resize:
                // F.interpolate to the reference's height and width, read at run time.
                t.Add($"F.interpolate({x}, size={inputs[1]}.shape[-2:]")
                    .Add(UpsampleMode(resize.Mode) == "bilinear" ? $", mode=\"bilinear\", align_corners={PythonText.Bool(resize.AlignCorners)})" : ", mode=\"nearest\")");
                break;
            case CenterCropOp:
                t.Add($"{Helper("_center_crop")}({x}, {inputs[1]})");
                break;
            case PadToOp:
                t.Add($"{Helper("_pad_to")}({x}, {inputs[1]})");
                break;
            case AddOp add:
                // inputs[1] + scale * inputs[0]: the shortcut plus the (scaled) body.
                t.Add($"{inputs[1]} + ").Optional("", PyValue.Of(add.Scale), PythonText.Float(1.0), "scale", local, " * ").Add(x);
                break;
            case MulOp:
                // The second broadcast over height and width: already [C, 1, 1] in every zoo network, viewed so from [C].
                var gate = layout.Shape(node.Inputs[1]).Dims.Count < layout.Shape(node.Inputs[0]).Dims.Count ? $"{inputs[1]}[:, :, None, None]" : inputs[1];
                t.Add($"{x} * {gate}");
                break;
            case ConcatOp:
                t.Add($"torch.cat([{string.Join(", ", inputs)}], {ChannelDimension(layout.Shape(node.Inputs[0]))})");
                break;
            case ChannelSliceOp slice:
                t.Add($"torch.chunk({x}, ").Value(PyValue.Of(slice.Count), "parts", local)
                    .Add($", {ChannelDimension(layout.Shape(node.Inputs[0]))})[").Value(PyValue.Of(slice.Index), "part", local).Add("]");
                break;
            default:
                throw Unsupported(node);
        }
    }

    private static string ChannelDimension(TensorShape shape) => shape.ChannelsLast && shape.Dims.Count == 3 ? "3" : "1";

    public static PyTorchExportException Unsupported(GraphNode node) =>
        new(PyTorchExport.Unsupported, node.Operation is CustomLayerOp custom
            ? $"'{PythonText.Comment(node.Path)}' is a layer written in C# ({PythonText.Comment(custom.TypeName)}); it has no PyTorch form"
            : $"'{PythonText.Comment(node.Path)}': the operation '{PythonText.Comment(node.Operation.Kind)}' has no PyTorch form", node.Site);
}
