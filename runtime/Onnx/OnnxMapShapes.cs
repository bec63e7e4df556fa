using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace CnnGen.Runtime.Onnx;

/// <summary>
/// The height and width of every map of a graph as functions of the input's: a number where it does not depend on
/// the input size (the declared size when the export's height and width are fixed, 1 after a global pool), else a
/// symbol naming how it is computed from <c>height</c> or <c>width</c> (<c>floor((height-1)/2)+1</c> after a
/// convolution with kernel 3, stride 2, padding 1). Two maps get the same symbol only when the same function of the
/// input gives both, so the symbols are true dimension names for the file's <c>value_info</c>.
/// </summary>
/// <remarks>
/// ONNX's shape inference loses a symbolic height at the first convolution, and ONNX Runtime fuses an Add into the
/// convolution before it (its NCHWc layout) only when it can show both inputs have the same shape: by the tensors it
/// followed through NCHWc nodes, or else by equal dimension values or names. Behind a node it cannot run in NCHWc
/// (EfficientNet's squeeze-and-excitation product) only the names are left, so without them every residual Add of
/// such a network ran on reshaped tensors instead of inside its convolution.
/// </remarks>
internal static class OnnxMapShapes
{
    /// <summary>
    /// The (height, width) of each map value of <paramref name="nodes"/> (a value whose shape has three dimensions),
    /// where known; maps after an operation this does not follow (a C# layer) are left out.
    /// </summary>
    public static Dictionary<int, (string H, string W)> Extents(NetworkGraph graph, IReadOnlyList<GraphNode> nodes, bool dynamic)
    {
        var extents = new Dictionary<int, (string H, string W)>();
        if (graph.Input.Count == 3)
            extents[NetworkGraph.InputValue] = dynamic ? ("height", "width") : (Number(graph.Input[1]), Number(graph.Input[2]));
        foreach (var node in nodes)
        {
            // A crop or a resize to another map has that map's size (its second input).
            var from = node.Op is "center_crop" or "pad_to" or "resize_to" && node.Inputs.Count == 2 ? node.Inputs[1] : node.Inputs.Count > 0 ? node.Inputs[0] : -1;
            if (node.Shape.Count != 3 || from < 0 || !extents.TryGetValue(from, out var input)) continue;
            if (!dynamic || (IsNumber(input.H) && IsNumber(input.W)))
            {
                // A map's size is a function of its input's alone, so a fixed input size gives the declared one.
                extents[node.Output] = (Number(node.Shape[1]), Number(node.Shape[2]));
                continue;
            }
            var output = Follow(node, input);
            if (output is { } known) extents[node.Output] = known;
        }
        return extents;
    }

    /// <summary>The output's extents from the first input's, or null where this does not know the operation.</summary>
    private static (string H, string W)? Follow(GraphNode node, (string H, string W) input)
    {
        switch (node.Op)
        {
            // Element-wise, on channels, or a product or sum with maps of the same size (or a gate broadcast over them).
            case "bn" or "activation" or "leaky_relu" or "dropout" or "stochastic_depth" or "lrn" or "layer_norm" or "layer_scale"
                or "permute" or "scale" or "channel_shuffle" or "add" or "mul" or "concat" or "slice" or "linear":
                return input;
            // The reference's size (Extents passes the reference's extents for these).
            case "center_crop" or "pad_to" or "resize_to":
                return input;
            case "conv_transpose":
            {
                var (kh, kw) = node.Pair("kernel");
                var (sh, sw) = node.Pair("stride");
                var (ph, pw) = node.Pair("padding");
                var (oh, ow) = node.Pair("output_padding");
                var (dh, dw) = node.Pair("dilation");
                return (Transposed(input.H, kh, sh, ph, dh, oh), Transposed(input.W, kw, sw, pw, dw, ow));
            }
            case "conv":
            {
                var (kh, kw) = node.Pair("kernel");
                var (sh, sw) = node.Pair("stride");
                var (ph, pw) = node.Pair("padding");
                var (dh, dw) = node.Pair("dilation");
                return (Window(input.H, kh, sh, ph, dh, ceil: false), Window(input.W, kw, sw, pw, dw, ceil: false));
            }
            case "table_conv":
            {
                var (kh, kw) = node.Pair("kernel");
                var (sh, sw) = node.Pair("stride");
                var (ph, pw) = node.Pair("padding");
                return (Window(input.H, kh, sh, ph, 1, ceil: false), Window(input.W, kw, sw, pw, 1, ceil: false));
            }
            case "maxpool" or "avgpool":
            {
                var (kh, kw) = node.Pair("kernel");
                var (sh, sw) = node.Pair("stride");
                var (ph, pw) = node.Pair("padding");
                var ceil = node.Bool("ceil_mode");
                return (Window(input.H, kh, sh, ph, 1, ceil), Window(input.W, kw, sw, pw, 1, ceil));
            }
            case "subsample":
            {
                var k = node.Long("kernel");
                return (Window(input.H, k, k, 0, 1, ceil: false), Window(input.W, k, k, 0, 1, ceil: false));
            }
            case "adaptive_avgpool":
                return (Number(node.Shape[1]), Number(node.Shape[2]));
            case "upsample":
            {
                // ONNX's Resize with a scale: floor(size * scale).
                var factor = node.Long("factor").ToString(CultureInfo.InvariantCulture);
                return ($"{Operand(input.H)}*{factor}", $"{Operand(input.W)}*{factor}");
            }
            default:
                return null;
        }
    }

    /// <summary>
    /// A sliding window's output size along one axis. Floor mode is ONNX's floor((x + pads - d(k-1) - 1) / s) + 1 for
    /// convolutions and pools alike, so a convolution and a pool with the same offset and stride get one symbol; ceil
    /// mode keeps all its parameters in the name (ONNX Runtime also drops a last window that starts in the padding).
    /// </summary>
    private static string Window(string x, long kernel, long stride, long padding, long dilation, bool ceil)
    {
        if (IsNumber(x))
            throw new InvalidOperationException("a fixed size is not followed symbolically"); // Extents takes declared sizes for those.
        var offset = 2 * padding - dilation * (kernel - 1) - 1;
        if (ceil)
            return $"ceil_pool({x};k{kernel};s{stride};p{padding};d{dilation})";
        if (stride == 1)
            return offset + 1 == 0 ? x : $"{Operand(x)}{Signed(offset + 1)}";
        return $"floor(({Operand(x)}{Signed(offset)})/{stride})+1";
    }

    /// <summary>
    /// A transposed convolution's output size along one axis, (x - 1)s - 2p + d(k - 1) + output_padding + 1, written
    /// as x*s plus a constant: the U-Net's 2x2/2 up-convolution gives x*2, the same symbol as an upsample by 2.
    /// </summary>
    private static string Transposed(string x, long kernel, long stride, long padding, long dilation, long outputPadding)
    {
        if (IsNumber(x))
            throw new InvalidOperationException("a fixed size is not followed symbolically");
        var offset = -stride - 2 * padding + dilation * (kernel - 1) + outputPadding + 1;
        if (stride == 1)
            return offset == 0 ? x : $"{Operand(x)}{Signed(offset)}"; // as a stride-1 window writes x + c
        var scaled = $"{Operand(x)}*{stride}";
        return offset == 0 ? scaled : $"{scaled}{Signed(offset)}";
    }

    /// <summary>A symbol as an operand: in parentheses unless it is a name.</summary>
    private static string Operand(string x) => x.All(char.IsAsciiLetter) ? x : $"({x})";

    private static string Signed(long value) => value.ToString("+0;-0", CultureInfo.InvariantCulture);

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static bool IsNumber(string extent) => extent.Length > 0 && extent.All(char.IsAsciiDigit);
}
