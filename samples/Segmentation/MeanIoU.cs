using static TorchSharp.torch;

namespace CnnGen.Samples.Segmentation;

/// <summary>
/// Intersection over union per class, summed over a whole set (as torchmetrics' and mmseg's mIoU do: the pixels of
/// all images together, not a mean of per-image scores), and their mean over the classes.
/// </summary>
public static class MeanIoU
{
    public static double[] PerClass(Tensor predicted, Tensor truth, int classes)
    {
        var result = new double[classes];
        for (var c = 0; c < classes; c++)
        {
            using var scope = NewDisposeScope();
            var p = predicted.eq(c);
            var t = truth.eq(c);
            var intersection = p.logical_and(t).sum().item<long>();
            var union = p.logical_or(t).sum().item<long>();
            result[c] = union == 0 ? double.NaN : (double)intersection / union;
        }
        return result;
    }

    public static double Mean(double[] perClass) => perClass.Where(v => !double.IsNaN(v)).Average();
}
