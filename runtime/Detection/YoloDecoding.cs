using System;
using System.Collections.Generic;
using System.Linq;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Detection;

/// <summary>
/// Boxes from a YOLOv8 Detect head's raw outputs, as Ultralytics' <c>Detect._inference</c> and
/// <c>ops.non_max_suppression</c> compute them: anchor points at the centre of every cell of every level
/// (<c>make_anchors</c>, offset 0.5), the DFL's four distances per anchor turned into a centre box
/// (<c>dist2bbox</c>, xywh) and scaled by the level's stride, the class logits through a sigmoid; then per image the
/// boxes above a confidence, best first, with greedy class-aware non-maximum suppression.
/// </summary>
public static class YoloDecoding
{
    /// <summary>Ultralytics' strides of P3, P4 and P5.</summary>
    public static IReadOnlyList<long> DefaultStrides { get; } = new long[] { 8, 16, 32 };

    /// <summary>Ultralytics' offset that makes boxes of different classes never overlap in class-aware NMS (max_wh).</summary>
    private const float ClassOffset = 7680;

    /// <summary>Ultralytics' cap on the boxes that enter NMS per image (max_nms).</summary>
    private const int MaxBoxesIntoNms = 30000;

    /// <summary>
    /// Ultralytics' inference output <c>y</c>: [N, 4 + classes, anchors], each anchor's box (centre x, centre y, width,
    /// height in input pixels) and class probabilities.
    /// </summary>
    /// <param name="levels">The head's raw maps, finest first: [N, 4 x reg_max + classes, H_i, W_i] (YOLOv8n's P3, P4, P5).</param>
    /// <param name="distances">The DFL's output for the same anchors: [N, 4, sum of H_i x W_i] (YOLOv8n's <c>dfl</c>).</param>
    /// <param name="regMax">The DFL's bins per side (16 in YOLOv8).</param>
    /// <param name="strides">Input pixels per cell of each level; default 8, 16, 32.</param>
    /// <exception cref="ArgumentException">The levels, distances and strides do not fit together; the message says how.</exception>
    public static Tensor Decode(IReadOnlyList<Tensor> levels, Tensor distances, long regMax = 16, IReadOnlyList<long>? strides = null)
    {
        if (levels is null || levels.Count == 0) throw new ArgumentException("Give the head's maps, finest first (P3, P4, P5).", nameof(levels));
        if (distances is null) throw new ArgumentNullException(nameof(distances));
        strides ??= DefaultStrides;
        if (strides.Count != levels.Count)
            throw new ArgumentException($"{levels.Count} levels but {strides.Count} strides ({string.Join(", ", strides)}).", nameof(strides));
        var first = levels[0];
        for (var i = 0; i < levels.Count; i++)
        {
            var level = levels[i];
            if (level.dim() != 4 || level.size(0) != first.size(0) || level.size(1) != first.size(1))
                throw new ArgumentException($"level {i} has shape [{string.Join(", ", level.shape)}]; every level must be [N, C, H, W] with level 0's N and C ([{string.Join(", ", first.shape)}]).", nameof(levels));
            if (strides[i] <= 0) throw new ArgumentException($"stride {i} is {strides[i]}; strides are positive.", nameof(strides));
        }
        long n = first.size(0), channels = first.size(1), classes = channels - 4 * regMax;
        if (classes < 1)
            throw new ArgumentException($"the levels have {channels} channels: a YOLOv8 head's are 4 x reg_max ({4 * regMax}) box bins and at least one class.", nameof(levels));
        var anchors = levels.Sum(level => level.size(2) * level.size(3));
        if (distances.dim() != 3 || distances.size(0) != n || distances.size(1) != 4 || distances.size(2) != anchors)
            throw new ArgumentException($"the distances have shape [{string.Join(", ", distances.shape)}], but the levels' {anchors} anchors need [{n}, 4, {anchors}].", nameof(distances));

        using var scope = NewDisposeScope();
        var (points, strideOfAnchor) = Anchors(levels, strides, distances.dtype, distances.device);
        var chunks = distances.chunk(2, 1);
        var topLeft = points - chunks[0];
        var bottomRight = points + chunks[1];
        var centre = (topLeft + bottomRight) / 2;
        var size = bottomRight - topLeft;
        var boxes = cat(new[] { centre, size }, 1) * strideOfAnchor;
        var logits = cat(levels.Select(level => level.view(n, channels, -1)).ToArray(), 2).narrow(1, 4 * regMax, classes);
        return cat(new[] { boxes, logits.sigmoid().to(boxes.dtype) }, 1).MoveToOuterDisposeScope();
    }

    /// <summary>Every anchor's centre in cells ([2, A]: x, y) and its level's stride ([1, A]), levels in order, row-major.</summary>
    private static (Tensor Points, Tensor Strides) Anchors(IReadOnlyList<Tensor> levels, IReadOnlyList<long> strides, ScalarType dtype, Device device)
    {
        var points = new List<Tensor>();
        var scale = new List<Tensor>();
        for (var i = 0; i < levels.Count; i++)
        {
            long height = levels[i].size(2), width = levels[i].size(3);
            var x = arange(width, dtype: dtype, device: device) + 0.5;
            var y = arange(height, dtype: dtype, device: device) + 0.5;
            var grid = meshgrid(new[] { y, x }, indexing: "ij");
            points.Add(stack(new[] { grid[1].reshape(-1), grid[0].reshape(-1) }, 0));
            scale.Add(full(new long[] { 1, height * width }, strides[i], dtype: dtype, device: device));
        }
        return (cat(points.ToArray(), 1), cat(scale.ToArray(), 1));
    }

    /// <summary>
    /// Per image, the boxes Ultralytics' <c>non_max_suppression</c> keeps (multi_label false): each anchor's best class,
    /// those above <paramref name="confidence"/>, best first (at most 30,000), then greedy NMS: a box is dropped when it
    /// overlaps a better one of the same class (of any class when <paramref name="classAgnostic"/>) by more than
    /// <paramref name="iou"/>; at most <paramref name="maxDetections"/> remain.
    /// </summary>
    /// <param name="predictions">What <see cref="Decode"/> returns: [N, 4 + classes, anchors].</param>
    /// <param name="confidence">Ultralytics' conf (predict's default 0.25).</param>
    /// <param name="iou">Ultralytics' iou (predict's default 0.7).</param>
    /// <param name="maxDetections">Ultralytics' max_det (300).</param>
    /// <param name="classAgnostic">Ultralytics' agnostic_nms.</param>
    public static IReadOnlyList<Detections> NonMaxSuppression(Tensor predictions, double confidence = 0.25, double iou = 0.7, int maxDetections = 300, bool classAgnostic = false)
    {
        if (predictions is null) throw new ArgumentNullException(nameof(predictions));
        if (predictions.dim() != 3 || predictions.size(1) < 5)
            throw new ArgumentException($"the predictions have shape [{string.Join(", ", predictions.shape)}]; Decode's are [N, 4 + classes, anchors].", nameof(predictions));
        if (!(confidence >= 0 && confidence <= 1)) throw new ArgumentOutOfRangeException(nameof(confidence), confidence, "a probability, from 0 to 1");
        if (!(iou >= 0 && iou <= 1)) throw new ArgumentOutOfRangeException(nameof(iou), iou, "an overlap, from 0 to 1");
        if (maxDetections < 0) throw new ArgumentOutOfRangeException(nameof(maxDetections), maxDetections, "not negative");

        var results = new List<Detections>();
        for (long image = 0; image < predictions.size(0); image++)
        {
            using var scope = NewDisposeScope();
            var rows = predictions[image].transpose(0, 1).to(float32, CPU);
            var centre = rows.narrow(1, 0, 2);
            var half = rows.narrow(1, 2, 2) / 2;
            var corners = cat(new[] { centre - half, centre + half }, 1);
            var (scores, classes) = rows.narrow(1, 4, rows.size(1) - 4).max(1);
            var above = (scores > confidence).nonzero().view(-1);
            var order = scores.index_select(0, above).argsort(descending: true);
            if (order.size(0) > MaxBoxesIntoNms) order = order.narrow(0, 0, MaxBoxesIntoNms);
            var candidates = above.index_select(0, order);
            var boxes = corners.index_select(0, candidates);
            var kept = Greedy(boxes, classes.index_select(0, candidates), iou, maxDetections, classAgnostic);
            var index = tensor(kept, dtype: int64);
            var chosen = candidates.index_select(0, index);
            var detections = new Detections(boxes.index_select(0, index).to(predictions.dtype, predictions.device),
                scores.index_select(0, chosen).to(predictions.dtype, predictions.device),
                classes.index_select(0, chosen).to(predictions.device));
            detections.Boxes.MoveToOuterDisposeScope();
            detections.Scores.MoveToOuterDisposeScope();
            detections.Classes.MoveToOuterDisposeScope();
            results.Add(detections);
        }
        return results;
    }

    /// <summary>
    /// Greedy NMS over boxes sorted best first (torchvision's <c>nms</c> on boxes offset by class): the indices kept, in
    /// order, stopping at <paramref name="limit"/> (the first ones kept are the same as when it runs to the end).
    /// Written here because torchvision's ops are not in TorchSharp.
    /// </summary>
    private static long[] Greedy(Tensor boxes, Tensor classes, double threshold, int limit, bool classAgnostic)
    {
        var count = (int)boxes.size(0);
        var xyxy = boxes.contiguous().data<float>().ToArray();
        var label = classes.contiguous().data<long>().ToArray();
        if (!classAgnostic)
            for (var i = 0; i < count; i++)
                for (var c = 0; c < 4; c++) xyxy[4 * i + c] += label[i] * ClassOffset;
        var suppressed = new bool[count];
        var kept = new List<long>();
        for (var i = 0; i < count && kept.Count < limit; i++)
        {
            if (suppressed[i]) continue;
            kept.Add(i);
            float x1 = xyxy[4 * i], y1 = xyxy[4 * i + 1], x2 = xyxy[4 * i + 2], y2 = xyxy[4 * i + 3];
            var area = (x2 - x1) * (y2 - y1);
            for (var j = i + 1; j < count; j++)
            {
                if (suppressed[j]) continue;
                var w = Math.Min(x2, xyxy[4 * j + 2]) - Math.Max(x1, xyxy[4 * j]);
                var h = Math.Min(y2, xyxy[4 * j + 3]) - Math.Max(y1, xyxy[4 * j + 1]);
                if (w <= 0 || h <= 0) continue;
                var inter = w * h;
                var other = (xyxy[4 * j + 2] - xyxy[4 * j]) * (xyxy[4 * j + 3] - xyxy[4 * j + 1]);
                if (inter / (area + other - inter) > threshold) suppressed[j] = true;
            }
        }
        return kept.ToArray();
    }
}
