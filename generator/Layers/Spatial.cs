using System;

namespace CnnGen.Generator.Layers;

/// <summary>
/// The output-size rules of sliding windows, exactly as PyTorch computes them
/// (torch/nn/modules/conv.py and pooling.py docs).
/// </summary>
public static class Spatial
{
    public static long Output(long size, long kernel, long stride, long padding, long dilation, bool ceilMode)
    {
        var span = checked(size + 2 * padding - dilation * (kernel - 1) - 1);
        // Floor division like Python's, so a window that does not fit gives 0 or less (reported by the caller).
        var output = (ceilMode ? -FloorDivide(-span, stride) : FloorDivide(span, stride)) + 1;
        // Like PyTorch: with ceil_mode the last window must start inside the input or left padding.
        if (ceilMode && (output - 1) * stride >= size + padding) output--;
        return output;
    }

    /// <summary>
    /// Resolves <c>padding=same</c>: at stride 1 with an odd effective kernel, d*(k-1)/2 on each side
    /// keeps the size (PyTorch's padding='same'). Returns null, with the reason, where 'same' would
    /// need asymmetric padding (TensorFlow pads more on the bottom/right; give the padding explicitly).
    /// </summary>
    public static (long H, long W)? Same((long H, long W) kernel, (long H, long W) stride, (long H, long W) dilation, out string? problem)
    {
        problem = null;
        if (stride != (1, 1))
        {
            problem = $"'same' with stride {Describe(stride)} needs asymmetric padding (as TensorFlow does); give the padding explicitly, e.g. p={(dilation.H * (kernel.H - 1) + 1) / 2}";
            return null;
        }
        long th = dilation.H * (kernel.H - 1), tw = dilation.W * (kernel.W - 1);
        if (th % 2 != 0 || tw % 2 != 0)
        {
            problem = $"'same' with an even kernel ({Describe(kernel)}) needs asymmetric padding; give the padding explicitly";
            return null;
        }
        return (th / 2, tw / 2);
    }

    private static long FloorDivide(long a, long b) => a >= 0 ? a / b : -((-a + b - 1) / b);

    /// <summary>A kernel or window as the papers write it: <c>3x3</c>, <c>1x7</c>.</summary>
    public static string Window((long H, long W) pair) => $"{pair.H}x{pair.W}";

    public static string Describe((long H, long W) pair) => pair.H == pair.W ? pair.H.ToString() : $"{pair.H}x{pair.W}";

    /// <summary>C# for a size argument: <c>3</c>, or <c>(1, 7)</c> when height and width differ.</summary>
    public static string CSharp((long H, long W) pair) => pair.H == pair.W ? pair.H.ToString() : $"({pair.H}, {pair.W})";

    /// <summary>C# for a size argument passed to an overload that takes tuples everywhere.</summary>
    public static string Tuple((long H, long W) pair) => $"({pair.H}, {pair.W})";

    public static bool IsSquare(params (long H, long W)[] pairs) => Array.TrueForAll(pairs, pair => pair.H == pair.W);
}
