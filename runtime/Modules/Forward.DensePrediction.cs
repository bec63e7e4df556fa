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
        // size(d), not shape: reading shape leaves a small native object to the finalizer (MemoryTests measure it).
        var size = new[] { reference.size(2), reference.size(3) };
        return bilinear
            ? nn.functional.interpolate(x, size, mode: InterpolationMode.Bilinear, align_corners: alignCorners)
            : nn.functional.interpolate(x, size, mode: InterpolationMode.Nearest);
    }

    /// <summary>
    /// The pixels of every level as anchors, in order: each [N, C, H, W] viewed [N, C, H x W] and concatenated on the
    /// last dimension, Ultralytics' <c>torch.cat([xi.view(b, c, -1) for xi in x], 2)</c> (the input of its DFL).
    /// </summary>
    public static Tensor Anchors(params Tensor[] levels)
    {
        if (levels.Length == 1) return levels[0].flatten(2);
        var flat = new Tensor[levels.Length];
        try
        {
            for (var i = 0; i < levels.Length; i++) flat[i] = levels[i].flatten(2);
            return cat(flat, 2);
        }
        finally
        {
            foreach (var view in flat) view?.Dispose();
        }
    }

    /// <summary>Ultralytics' <c>self.dfl(box)</c>: <paramref name="dfl"/> on the <see cref="Anchors"/> of the levels' box maps, [N, 4, A].</summary>
    public static Tensor Dfl(Dfl dfl, params Tensor[] levels)
    {
        using var anchors = Anchors(levels);
        return dfl.forward(anchors);
    }

    /// <summary>
    /// <paramref name="x"/> zero-padded to <paramref name="reference"/>'s height and width, the extra split as
    /// milesial/Pytorch-UNet's <c>F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])</c>.
    /// </summary>
    public static Tensor PadTo(Tensor x, Tensor reference)
    {
        long dy = reference.size(2) - x.size(2), dx = reference.size(3) - x.size(3);
        if (dy < 0 || dx < 0)
            throw new System.ArgumentException($"cannot pad a {x.size(2)}x{x.size(3)} map to {reference.size(2)}x{reference.size(3)}");
        return nn.functional.pad(x, new[] { dx / 2, dx - dx / 2, dy / 2, dy - dy / 2 });
    }

    /// <summary>
    /// The centre of <paramref name="x"/> with <paramref name="reference"/>'s height and width (a view), its top-left
    /// corner at ((H - h) // 2, (W - w) // 2): the U-Net's crop-and-copy.
    /// </summary>
    public static Tensor CenterCrop(Tensor x, Tensor reference)
    {
        long height = reference.size(2), width = reference.size(3);
        if (height > x.size(2) || width > x.size(3))
            throw new System.ArgumentException($"cannot crop a {x.size(2)}x{x.size(3)} map to {height}x{width}");
        long top = (x.size(2) - height) / 2, left = (x.size(3) - width) / 2;
        using var rows = x.narrow(2, top, height);
        return rows.narrow(3, left, width);
    }
}
