using System;
using System.Collections.Generic;
using System.Linq;
using Onnx;
using static CnnGen.Runtime.Onnx.OnnxGraphBuilder;

namespace CnnGen.Runtime.Onnx;

/// <summary>
/// Writes each operation of a <see cref="NetworkGraph"/> as ONNX nodes (opset 17), in eval semantics and the way
/// <c>torch.onnx.export</c> writes the same PyTorch layer, so ONNX Runtime applies the same fusions to both files
/// (Conv with its batch norm folded, Gemm, GELU's erf pattern, SiLU as Sigmoid times x). Weights come from the
/// module's state dict under the node's path.
/// </summary>
internal sealed class OnnxNodeWriter
{
    /// <summary>The graph operations this writer knows; any other stops the export before anything is written.</summary>
    public static readonly IReadOnlySet<string> Known = new HashSet<string>(StringComparer.Ordinal)
    {
        "conv", "bn", "activation", "leaky_relu", "maxpool", "avgpool", "gap", "adaptive_avgpool", "flatten", "linear",
        "dropout", "stochastic_depth", "lrn", "layer_norm", "layer_scale", "permute", "scale", "channel_shuffle",
        "upsample", "subsample", "table_conv", "add", "mul", "concat", "slice", "conv_transpose", "center_crop", "pad_to", "resize_to",
        "dfl",
    };

    private readonly OnnxGraphBuilder _onnx;
    private readonly IOnnxWeights _weights;
    private readonly NetworkGraph _graph;

    /// <summary>Height and width may vary: sizes taken from another map are read at run time, else they are constants.</summary>
    private readonly bool _dynamic;

    public OnnxNodeWriter(OnnxGraphBuilder onnx, IOnnxWeights weights, NetworkGraph graph, bool dynamic) =>
        (_onnx, _weights, _graph, _dynamic) = (onnx, weights, graph, dynamic);

    /// <summary>
    /// Writes <paramref name="node"/> reading <paramref name="inputs"/> with its result named <paramref name="output"/>;
    /// <paramref name="foldedNorm"/> is the batch norm that follows a convolution and is folded into it.
    /// </summary>
    public void Write(GraphNode node, IReadOnlyList<string> inputs, string output, GraphNode? foldedNorm)
    {
        var x = inputs[0];
        var name = node.Path.Length == 0 ? node.Op : node.Path;
        switch (node.Op)
        {
            case "conv": Conv(node, x, output, foldedNorm); break;
            case "table_conv": TableConv(node, x, output); break;
            case "conv_transpose": ConvTranspose(node, x, output); break;
            case "center_crop": CenterCrop(node, name, x, inputs[1], output); break;
            case "pad_to": PadTo(node, name, x, inputs[1], output); break;
            case "resize_to": ResizeTo(node, name, x, inputs[1], output); break;
            case "subsample": Subsample(node, x, output); break;
            case "dfl": Dfl(node, name, inputs, output); break;
            case "bn":
                var channels = node.Long("channels");
                var (scale, shift) = Affine(node, node.Bool("affine"), channels);
                _onnx.Node("BatchNormalization", name, new[] { x, scale, shift, Tensor(node, "running_mean", channels), Tensor(node, "running_var", channels) }, output,
                    Float("epsilon", node.Double("eps")));
                break;
            case "linear": Linear(node, x, output); break;
            case "layer_norm": LayerNorm(node, x, output); break;
            case "lrn":
                _onnx.Node("LRN", name, new[] { x }, output, Int("size", node.Long("size")), Float("alpha", node.Double("alpha")),
                    Float("beta", node.Double("beta")), Float("bias", node.Double("k")));
                break;
            case "layer_scale": _onnx.Node("Mul", name, new[] { x, Tensor(node, null) }, output); break;
            case "activation": Activation(node.Text("function"), name, x, output); break;
            case "leaky_relu": _onnx.Node("LeakyRelu", name, new[] { x }, output, Float("alpha", node.Double("slope"))); break;
            case "maxpool":
                _onnx.Node("MaxPool", name, new[] { x }, output, Ints("kernel_shape", Pair(node, "kernel")), Ints("strides", Pair(node, "stride")),
                    Ints("pads", Pads(node)), Int("ceil_mode", node.Bool("ceil_mode") ? 1 : 0));
                break;
            case "avgpool":
                _onnx.Node("AveragePool", name, new[] { x }, output, Ints("kernel_shape", Pair(node, "kernel")), Ints("strides", Pair(node, "stride")),
                    Ints("pads", Pads(node)), Int("ceil_mode", node.Bool("ceil_mode") ? 1 : 0), Int("count_include_pad", node.Bool("count_include_pad") ? 1 : 0));
                break;
            case "gap": _onnx.Node("Flatten", name, new[] { _onnx.Node("GlobalAveragePool", name, new[] { x }) }, output, Int("axis", 1)); break;
            case "adaptive_avgpool": AdaptiveAvgPool(node, x, output); break;
            case "flatten": _onnx.Node("Flatten", name, new[] { x }, output, Int("axis", 1)); break;
            case "dropout" or "stochastic_depth": _onnx.Node("Identity", name, new[] { x }, output); break;
            case "permute":
                _onnx.Node("Transpose", name, new[] { x }, output, Ints("perm", node.Bool("to_channels_last") ? new long[] { 0, 2, 3, 1 } : new long[] { 0, 3, 1, 2 }));
                break;
            case "scale": _onnx.Node("Mul", name, new[] { x, _onnx.Scalar((float)node.Double("factor")) }, output); break;
            case "channel_shuffle":
                var groups = node.Long("groups");
                // [N, g*k, H, W] -> [N, g, k, H*W] -> [N, k, g, H*W] -> the input's shape: no fixed height or width.
                var grouped = _onnx.Node("Reshape", name, new[] { x, _onnx.Int64s(0, groups, InputShape(node)[0] / groups, -1) });
                var swapped = _onnx.Node("Transpose", name, new[] { grouped }, null, Ints("perm", new long[] { 0, 2, 1, 3 }));
                _onnx.Node("Reshape", name, new[] { swapped, _onnx.Node("Shape", name, new[] { x }) }, output);
                break;
            case "upsample": Upsample(node, name, x, output); break;
            case "add":
                // inputs[1] + scale * inputs[0]: the shortcut plus the (scaled) body.
                var factor = node.Double("scale");
                var body = factor == 1.0 ? x : _onnx.Node("Mul", name, new[] { x, _onnx.Scalar((float)factor) });
                _onnx.Node("Add", name, new[] { body, inputs[1] }, output);
                break;
            case "mul":
                // A gate: the second input, a vector per channel or a 1x1 map, broadcast over height and width.
                var gate = _graph.Producer(node.Inputs[1])?.Shape.Count == 1
                    ? _onnx.Node("Unsqueeze", name, new[] { inputs[1], _onnx.Int64s(2, 3) })
                    : inputs[1];
                _onnx.Node("Mul", name, new[] { x, gate }, output);
                break;
            case "concat": _onnx.Node("Concat", name, inputs, output, Int("axis", 1)); break;
            case "slice":
                var size = InputShape(node)[0] / node.Long("count");
                var index = node.Long("index");
                _onnx.Node("Slice", name, new[] { x, _onnx.Int64s(index * size), _onnx.Int64s((index + 1) * size), _onnx.Int64s(1) }, output);
                break;
            default: throw new NotSupportedException($"{_graph.ClassName}: {node.Describe()} is an operation the ONNX export does not know.");
        }
    }

    private void Activation(string function, string name, string x, string output)
    {
        switch (function)
        {
            case "relu": _onnx.Node("Relu", name, new[] { x }, output); break;
            case "tanh": _onnx.Node("Tanh", name, new[] { x }, output); break;
            case "sigmoid": _onnx.Node("Sigmoid", name, new[] { x }, output); break;
            case "relu6": _onnx.Node("Clip", name, new[] { x, _onnx.Scalar(0), _onnx.Scalar(6) }, output); break;
            case "silu": _onnx.Node("Mul", name, new[] { x, _onnx.Node("Sigmoid", name, new[] { x }) }, output); break;
            case "gelu":
                // torch.onnx.export's exact GELU at opset 17, which ONNX Runtime fuses into one Gelu kernel.
                var scaled = _onnx.Node("Div", name, new[] { x, _onnx.Scalar(MathF.Sqrt(2f)) });
                var erf = _onnx.Node("Add", name, new[] { _onnx.Node("Erf", name, new[] { scaled }), _onnx.Scalar(1) });
                _onnx.Node("Mul", name, new[] { _onnx.Node("Mul", name, new[] { x, erf }), _onnx.Scalar(0.5f) }, output);
                break;
            case "hardswish": _onnx.Node("HardSwish", name, new[] { x }, output); break;
            case "hardsigmoid": _onnx.Node("HardSigmoid", name, new[] { x }, output, Float("alpha", 1.0 / 6), Float("beta", 0.5)); break;
            default: throw new NotSupportedException($"The ONNX export does not know the activation '{function}'.");
        }
    }

    private void Conv(GraphNode node, string x, string output, GraphNode? norm)
    {
        var (kh, kw) = node.Pair("kernel");
        var (weight, shape) = Read(node, "weight", node.Long("out"), node.Long("in") / node.Long("groups"), kh, kw);
        var outChannels = shape[0];
        var bias = node.Bool("bias") ? Read(node, "bias", outChannels).Values : null;
        if (norm is not null)
        {
            // Batch norm folded into the convolution, in double: w' = w * g / sqrt(v + eps), b' = (b - mean) * g / sqrt(v + eps) + beta.
            var epsilon = norm.Double("eps");
            var affine = norm.Bool("affine");
            var mean = Read(norm, "running_mean", outChannels).Values;
            var variance = Read(norm, "running_var", outChannels).Values;
            var gamma = affine ? Read(norm, "weight", outChannels).Values : null;
            var beta = affine ? Read(norm, "bias", outChannels).Values : null;
            var perChannel = weight.Length / outChannels;
            var folded = new float[outChannels];
            for (var o = 0; o < outChannels; o++)
            {
                var factor = (gamma?[o] ?? 1.0) / Math.Sqrt(variance[o] + epsilon);
                for (var j = 0; j < perChannel; j++) weight[o * perChannel + j] = (float)(weight[o * perChannel + j] * factor);
                folded[o] = (float)(((bias?[o] ?? 0.0) - mean[o]) * factor + (beta?[o] ?? 0.0));
            }
            bias = folded;
        }
        var inputs = new List<string> { x, _onnx.Initializer(node.Key("weight"), weight, shape) };
        if (bias is not null) inputs.Add(_onnx.Initializer(node.Key("bias"), bias, new[] { outChannels }));
        _onnx.Node("Conv", node.Path, inputs, output, Ints("kernel_shape", Pair(node, "kernel")), Ints("strides", Pair(node, "stride")),
            Ints("pads", Pads(node)), Ints("dilations", Pair(node, "dilation")), Int("group", node.Long("groups")));
    }

    /// <summary>PyTorch's ConvTranspose2d: the weight is [in, out/groups, kh, kw], as ONNX's ConvTranspose reads it.</summary>
    private void ConvTranspose(GraphNode node, string x, string output)
    {
        var (kh, kw) = node.Pair("kernel");
        var groups = node.Long("groups");
        var outChannels = node.Long("out");
        var (weight, shape) = Read(node, "weight", node.Long("in"), outChannels / groups, kh, kw);
        var inputs = new List<string> { x, _onnx.Initializer(node.Key("weight"), weight, shape) };
        if (node.Bool("bias")) inputs.Add(_onnx.Initializer(node.Key("bias"), Read(node, "bias", outChannels).Values, new[] { outChannels }));
        // Explicit pads and output_padding, so the output size is PyTorch's (H - 1)s - 2p + d(k - 1) + output_padding + 1.
        _onnx.Node("ConvTranspose", node.Path, inputs, output, Ints("kernel_shape", new[] { kh, kw }), Ints("strides", Pair(node, "stride")),
            Ints("pads", Pads(node)), Ints("output_padding", Pair(node, "output_padding")), Ints("dilations", Pair(node, "dilation")), Int("group", groups));
    }

    /// <summary>
    /// The centre of <paramref name="x"/> at <paramref name="reference"/>'s height and width, its corner at
    /// ((H - h) // 2, (W - w) // 2): a Slice on height and width, whose bounds are read off both shapes at run time
    /// when the input size may vary, else constants.
    /// </summary>
    private void CenterCrop(GraphNode node, string name, string x, string reference, string output)
    {
        var axes = _onnx.Int64s(2, 3);
        if (!_dynamic)
        {
            var input = InputShape(node);
            long height = node.Shape[1], width = node.Shape[2];
            long top = (input[1] - height) / 2, left = (input[2] - width) / 2;
            _onnx.Node("Slice", name, new[] { x, _onnx.Int64s(top, left), _onnx.Int64s(top + height, left + width), axes }, output);
            return;
        }
        var size = _onnx.Node("Shape", name, new[] { x }, null, Int("start", 2), Int("end", 4));
        var target = _onnx.Node("Shape", name, new[] { reference }, null, Int("start", 2), Int("end", 4));
        // Sizes are positive, so ONNX's integer Div (truncating) is Python's floor division here.
        var starts = _onnx.Node("Div", name, new[] { _onnx.Node("Sub", name, new[] { size, target }), _onnx.Int64s(2) });
        var ends = _onnx.Node("Add", name, new[] { starts, target });
        _onnx.Node("Slice", name, new[] { x, starts, ends, axes }, output);
    }

    /// <summary>
    /// <c>F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])</c> to the reference's height and width: Pad with
    /// ONNX's begin-then-end order [0, 0, top, left, 0, 0, bottom, right], computed at run time when sizes may vary.
    /// </summary>
    private void PadTo(GraphNode node, string name, string x, string reference, string output)
    {
        if (!_dynamic)
        {
            var input = InputShape(node);
            long dy = node.Shape[1] - input[1], dx = node.Shape[2] - input[2];
            _onnx.Node("Pad", name, new[] { x, _onnx.Int64s(0, 0, dy / 2, dx / 2, 0, 0, dy - dy / 2, dx - dx / 2) }, output);
            return;
        }
        var size = _onnx.Node("Shape", name, new[] { x }, null, Int("start", 2), Int("end", 4));
        var target = _onnx.Node("Shape", name, new[] { reference }, null, Int("start", 2), Int("end", 4));
        var extra = _onnx.Node("Sub", name, new[] { target, size });
        // Non-negative (the analysis checked), so ONNX's truncating Div is Python's floor division here.
        var before = _onnx.Node("Div", name, new[] { extra, _onnx.Int64s(2) });
        var after = _onnx.Node("Sub", name, new[] { extra, before });
        var pads = _onnx.Node("Concat", name, new[] { _onnx.Int64s(0, 0), before, _onnx.Int64s(0, 0), after }, null, Int("axis", 0));
        _onnx.Node("Pad", name, new[] { x, pads }, output);
    }

    /// <summary>
    /// <c>F.interpolate(x, size=reference.shape[-2:])</c>: Resize with <c>sizes</c>, the batch and channels read off
    /// <paramref name="x"/>, height and width off the reference at run time when they may vary, else the declared ones.
    /// </summary>
    private void ResizeTo(GraphNode node, string name, string x, string reference, string output)
    {
        var leading = _onnx.Node("Shape", name, new[] { x }, null, Int("start", 0), Int("end", 2));
        var spatial = _dynamic
            ? _onnx.Node("Shape", name, new[] { reference }, null, Int("start", 2), Int("end", 4))
            : _onnx.Int64s(node.Shape[1], node.Shape[2]);
        var sizes = _onnx.Node("Concat", name, new[] { leading, spatial }, null, Int("axis", 0));
        _onnx.Node("Resize", name, new[] { x, "", "", sizes }, output, ResizeAttributes(node.Text("mode"), node.Bool("align_corners")));
    }

    /// <summary>Resize's attributes for PyTorch's interpolate: bilinear (corners aligned or not), or nearest (floor of the scaled index).</summary>
    private static AttributeProto[] ResizeAttributes(string mode, bool alignCorners) => mode switch
    {
        "bilinear" => new[] { Text("mode", "linear"), Text("coordinate_transformation_mode", alignCorners ? "align_corners" : "pytorch_half_pixel") },
        "nearest" => new[] { Text("mode", "nearest"), Text("coordinate_transformation_mode", "asymmetric"), Text("nearest_mode", "floor") },
        _ => throw new NotSupportedException($"The ONNX export does not know the interpolation mode '{mode}'."),
    };

    /// <summary>LeNet-5's C3: the connected kernels [connections, kh, kw] scattered into a dense [out, in, kh, kw] one, as TableConv2d does.</summary>
    private void TableConv(GraphNode node, string x, string output)
    {
        var (weight, _) = Read(node, "weight");
        var table = node.Attribute("table").Items.Select(row => row.Items.Select(item => (int)item.AsLong()).ToArray()).ToArray();
        var inputs = node.Long("in");
        var kernel = Pair(node, "kernel");
        var area = (int)(kernel[0] * kernel[1]);
        var dense = new float[table.Length * inputs * area];
        var connection = 0;
        for (var o = 0; o < table.Length; o++)
            foreach (var i in table[o])
                Array.Copy(weight, connection++ * area, dense, (o * inputs + i) * area, area);
        if (connection * area != weight.Length)
            throw new InvalidOperationException($"'{node.Key("weight")}' holds {weight.Length / area} kernels, but the connection table has {connection}.");
        var names = new List<string> { x, _onnx.Initializer(node.Key("weight"), dense, new[] { table.Length, inputs, kernel[0], kernel[1] }) };
        if (node.Bool("bias")) names.Add(_onnx.Initializer(node.Key("bias"), Read(node, "bias").Values, new long[] { table.Length }));
        _onnx.Node("Conv", node.Path, names, output, Ints("kernel_shape", kernel), Ints("strides", Pair(node, "stride")), Ints("pads", Pads(node)));
    }

    /// <summary>
    /// Ultralytics' DFL as torch.onnx.export writes it: the levels' pixels as anchors (Reshape [N, C, -1], Concat on 2),
    /// Reshape [N, 4, reg_max, A], Transpose to [N, reg_max, 4, A], Softmax over the bins, the 1 x reg_max Conv with the
    /// state dict's fixed weight, Reshape [N, 4, A].
    /// </summary>
    private void Dfl(GraphNode node, string name, IReadOnlyList<string> inputs, string output)
    {
        var regMax = node.Long("reg_max");
        var flat = inputs.Select(level => _onnx.Node("Reshape", name, new[] { level, _onnx.Int64s(0, 4 * regMax, -1) })).ToArray();
        var anchors = flat.Length == 1 ? flat[0] : _onnx.Node("Concat", name, flat, null, Int("axis", 2));
        var bins = _onnx.Node("Reshape", name, new[] { anchors, _onnx.Int64s(0, 4, regMax, -1) });
        var swapped = _onnx.Node("Transpose", name, new[] { bins }, null, Ints("perm", new long[] { 0, 2, 1, 3 }));
        var probabilities = _onnx.Node("Softmax", name, new[] { swapped }, null, Int("axis", 1));
        var (weight, shape) = Read(node, "conv.weight", 1, regMax, 1, 1);
        var expected = _onnx.Node("Conv", name, new[] { probabilities, _onnx.Initializer(node.Key("conv.weight"), weight, shape) }, null,
            Ints("kernel_shape", new long[] { 1, 1 }));
        _onnx.Node("Reshape", name, new[] { expected, _onnx.Int64s(0, 4, -1) }, output);
    }

    /// <summary>LeNet-5's S2/S4: window sum times a coefficient plus a bias, per map (the sum is k*k times the average).</summary>
    private void Subsample(GraphNode node, string x, string output)
    {
        var k = node.Long("kernel");
        var (weight, shape) = Read(node, "weight");
        var perMap = new long[] { 1, shape[0], 1, 1 };
        var pooled = _onnx.Node("AveragePool", node.Path, new[] { x }, null, Ints("kernel_shape", new[] { k, k }), Ints("strides", new[] { k, k }));
        var scaled = _onnx.Node("Mul", node.Path, new[] { pooled, _onnx.Initializer(node.Key("weight"), weight.Select(w => w * k * k).ToArray(), perMap) });
        _onnx.Node("Add", node.Path, new[] { scaled, _onnx.Initializer(node.Key("bias"), Read(node, "bias").Values, perMap) }, output);
    }

    private void Linear(GraphNode node, string x, string output)
    {
        var (weight, shape) = Read(node, "weight", node.Long("out"), node.Long("in"));
        var (outFeatures, inFeatures) = (shape[0], shape[1]);
        var bias = node.Bool("bias") ? Read(node, "bias", outFeatures).Values : null;
        if (InputShape(node).Count == 1)
        {
            var inputs = new List<string> { x, _onnx.Initializer(node.Key("weight"), weight, shape) };
            if (bias is not null) inputs.Add(_onnx.Initializer(node.Key("bias"), bias, new[] { outFeatures }));
            _onnx.Node("Gemm", node.Path, inputs, output, Int("transB", 1));
            return;
        }
        // Over the last axis of a channels-last map: x @ W^T (+ b), as torch.onnx.export writes nn.Linear on a rank-4 input.
        var transposed = new float[weight.Length];
        for (var o = 0; o < outFeatures; o++)
            for (var i = 0; i < inFeatures; i++)
                transposed[i * outFeatures + o] = weight[o * inFeatures + i];
        var product = _onnx.Node("MatMul", node.Path, new[] { x, _onnx.Initializer(node.Key("weight"), transposed, new[] { inFeatures, outFeatures }) }, bias is null ? output : null);
        if (bias is not null) _onnx.Node("Add", node.Path, new[] { product, _onnx.Initializer(node.Key("bias"), bias, new[] { outFeatures }) }, output);
    }

    private void LayerNorm(GraphNode node, string x, string output)
    {
        var overMap = node.Bool("over_map_channels");
        var (scale, shift) = Affine(node, node.Bool("affine"), node.Long("channels"));
        var input = overMap ? _onnx.Node("Transpose", node.Path, new[] { x }, null, Ints("perm", new long[] { 0, 2, 3, 1 })) : x;
        var normed = _onnx.Node("LayerNormalization", node.Path, new[] { input, scale, shift }, overMap ? null : output, Int("axis", -1), Float("epsilon", node.Double("eps")));
        if (overMap) _onnx.Node("Transpose", node.Path, new[] { normed }, output, Ints("perm", new long[] { 0, 3, 1, 2 }));
    }

    /// <summary>ONNX has no adaptive pool: 1x1 is a global pool; a size dividing the (fixed) input is a plain average pool.</summary>
    private void AdaptiveAvgPool(GraphNode node, string x, string output)
    {
        var size = Pair(node, "size");
        if (size[0] == 1 && size[1] == 1)
        {
            _onnx.Node("GlobalAveragePool", node.Path, new[] { x }, output);
            return;
        }
        var input = InputShape(node);
        if (input[1] % size[0] != 0 || input[2] % size[1] != 0)
            throw new NotSupportedException($"{_graph.ClassName}: {node.Describe()} pools {input[1]}x{input[2]} to {size[0]}x{size[1]} in windows of unequal size, which ONNX's AveragePool cannot express.");
        var kernel = new[] { input[1] / size[0], input[2] / size[1] };
        _onnx.Node("AveragePool", node.Path, new[] { x }, output, Ints("kernel_shape", kernel), Ints("strides", kernel));
    }

    private void Upsample(GraphNode node, string name, string x, string output)
    {
        var factor = node.Long("factor");
        var scales = _onnx.Initializer(name + ".scales", new float[] { 1, 1, factor, factor }, new long[] { 4 });
        var alignCorners = node.Attributes.TryGetValue("align_corners", out var aligned) && aligned.AsBool();
        _onnx.Node("Resize", name, new[] { x, "", scales }, output, ResizeAttributes(node.Text("mode"), alignCorners));
    }

    /// <summary>A norm's scale and shift: its tensors, or ones and zeros without affine parameters.</summary>
    private (string Scale, string Shift) Affine(GraphNode node, bool affine, long channels) =>
        affine
            ? (Tensor(node, "weight", channels), Tensor(node, "bias", channels))
            : (_onnx.Initializer(node.Key("weight"), Enumerable.Repeat(1f, (int)channels).ToArray(), new[] { channels }),
               _onnx.Initializer(node.Key("bias"), new float[channels], new[] { channels }));

    private IReadOnlyList<long> InputShape(GraphNode node) => _graph.Producer(node.Inputs[0])?.Shape ?? _graph.Input;

    private static long[] Pair(GraphNode node, string attribute)
    {
        var (h, w) = node.Pair(attribute);
        return new[] { h, w };
    }

    /// <summary>ONNX pads: begin of each axis, then end.</summary>
    private static long[] Pads(GraphNode node)
    {
        var (h, w) = node.Pair("padding");
        return new[] { h, w, h, w };
    }

    /// <summary>A tensor of the node's module as an initializer under its state-dict key (null: the key is the path itself).</summary>
    private string Tensor(GraphNode node, string? suffix, params long[] expected)
    {
        var (values, shape) = Read(node, suffix, expected);
        return _onnx.Initializer(suffix is null ? node.Path : node.Key(suffix), values, shape);
    }

    /// <summary>A tensor by key; with <paramref name="expected"/> given, a tensor of another shape is an error that says both.</summary>
    private (float[] Values, long[] Shape) Read(GraphNode node, string? suffix, params long[] expected)
    {
        var key = suffix is null ? node.Path : node.Key(suffix);
        if (!_weights.TryGet(key, out var values, out var shape))
            throw new InvalidOperationException($"{_graph.ClassName}: the weights have no tensor '{key}', which {node.Describe()} reads.");
        if (expected.Length > 0 && !shape.AsSpan().SequenceEqual(expected))
            throw new InvalidOperationException($"{_graph.ClassName}: '{key}' is [{string.Join(", ", shape)}], but {node.Describe()} needs [{string.Join(", ", expected)}].");
        return (values, shape);
    }
}
