using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Runtime;

// The steps of networks that read earlier outputs again (U-Net, FPN, segmentation heads): sizes taken from another
// tensor at run time, so a network that accepts several input sizes follows them.
public static partial class Forward
{
    /// <summary>
    /// <paramref name="x"/> resized to <paramref name="reference"/>'s height and width: PyTorch's
    /// <c>F.interpolate(x, size=reference.shape[-2:], mode=..., align_corners=...)</c>.
    /// </summary>
    public static Tensor ResizeTo(Tensor x, Tensor reference, bool bilinear, bool alignCorners)
    {
        var size = new[] { reference.shape[2], reference.shape[3] };
        return bilinear
            ? nn.functional.interpolate(x, size, mode: InterpolationMode.Bilinear, align_corners: alignCorners)
            : nn.functional.interpolate(x, size, mode: InterpolationMode.Nearest);
    }

    /// <summary>
    /// The centre of <paramref name="x"/> with <paramref name="reference"/>'s height and width (a view), its top-left
    /// corner at ((H - h) // 2, (W - w) // 2): the U-Net's crop-and-copy.
    /// </summary>
    public static Tensor CenterCrop(Tensor x, Tensor reference)
    {
        long height = reference.shape[2], width = reference.shape[3];
        if (height > x.shape[2] || width > x.shape[3])
            throw new System.ArgumentException($"cannot crop a {x.shape[2]}x{x.shape[3]} map to {height}x{width}");
        long top = (x.shape[2] - height) / 2, left = (x.shape[3] - width) / 2;
        using var rows = x.narrow(2, top, height);
        return rows.narrow(3, left, width);
    }
}
