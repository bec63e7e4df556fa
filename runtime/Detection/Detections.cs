using System;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Detection;

/// <summary>
/// What <see cref="YoloDecoding.NonMaxSuppression"/> keeps of one image, best first (Ultralytics' <c>results.boxes</c>:
/// <c>xyxy</c>, <c>conf</c>, <c>cls</c>). Disposing it disposes the three tensors.
/// </summary>
/// <param name="Boxes">[K, 4]: x1, y1, x2, y2 in input pixels.</param>
/// <param name="Scores">[K]: the class probability of each box.</param>
/// <param name="Classes">[K], int64: each box's class index.</param>
public sealed record Detections(Tensor Boxes, Tensor Scores, Tensor Classes) : IDisposable
{
    /// <summary>How many boxes were kept.</summary>
    public long Count => Scores.shape[0];

    public void Dispose()
    {
        Boxes.Dispose();
        Scores.Dispose();
        Classes.Dispose();
    }
}
