using System;
using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Layers;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// One multi-scale feature map of a network (timm's <c>feature_info</c>): the output of the last step at a
/// reduction level, taken where the forward cuts cleanly (nothing after it reads an earlier tensor).
/// </summary>
/// <param name="Name">The module path that ends there, as shallow as ends there (<c>layer1</c>, <c>features.3</c>, <c>Mixed_5d</c>).</param>
/// <param name="Cut">The index of the first step after it: the forward's steps <c>[0, Cut)</c> make it.</param>
/// <param name="Var">The tensor.</param>
/// <param name="Shape">Its shape for the default input.</param>
/// <param name="Reduction">How many input pixels one of its pixels spans along the height: the input height over its height, rounded to a power of two (Inception's 299 -> 35 is 8).</param>
/// <param name="AlsoLive">
/// The other tensors live across the cut (a dense network's encoder stages that its decoder reads later): a forward
/// that stops here frees them. Empty at a classifier's taps, which are clean cuts.
/// </param>
public sealed record FeatureTap(string Name, int Cut, TensorVar Var, Shape Shape, int Reduction, IReadOnlyList<TensorVar> AlsoLive);

/// <summary>
/// Finds the feature taps, one per reduction level: the last step at that level where the shallowest module ends.
/// <list type="bullet">
/// <item>A classifier (a <c>head:</c> where the forward cuts cleanly) is tapped between the input and the head (or the
/// first global pool, flatten or linear layer before it), at cuts where exactly one tensor is live and it is a feature
/// map of more than one pixel.</item>
/// <item>A dense network (no head, a head the forward does not cut cleanly at, several outputs: FCN, U-Net, an FPN,
/// YOLOv8) is tapped along its encoder: from the input to the first step that makes a finer map than the coarsest so
/// far (the decoder's first upsample), the head's top-level group, or a global pool; other tensors may be live there
/// (the stages the decoder reads later), and a forward that stops at the tap frees them. A name does not widen to a
/// group that starts at the input and spans three levels or more (FCN's <c>backbone.layer4</c>, not <c>backbone</c>), so taps
/// name the stages.</item>
/// </list>
/// </summary>
public static class FeatureTaps
{
    public static IReadOnlyList<FeatureTap> Find(NetworkModel model)
    {
        var taps = new List<FeatureTap>();
        if (model.Input.Height <= 0) return taps;
        var dense = model.Head is not { Clean: true };
        if (!dense && model.HeadPath is null) return taps;
        var steps = model.Steps;

        // When each main-path tensor is last read; aux heads run beside the main path and do not count, nor does the
        // caller's input (an upsample to its size reads it at the end; it is never ours to free).
        var lastRead = new Dictionary<TensorVar, int>();
        for (var i = 0; i < steps.Count; i++)
            if (steps[i].Aux is null)
                foreach (var input in steps[i].Inputs)
                    if (!input.IsInput) lastRead[input] = i;
        // A record's outputs are the caller's at the end: live until then, like the stages a decoder reads.
        if (model.ReturnsRecord)
            foreach (var output in model.NamedOutputs) lastRead[output.Var] = steps.Count;
        var produced = new Dictionary<TensorVar, int>();
        for (var i = 0; i < steps.Count; i++) produced[steps[i].Output] = i;
        // A tensor is live across cut k (between steps k-1 and k) when it was made before k and is read at or after k.
        var live = new List<TensorVar>[steps.Count + 1];
        for (var k = 0; k <= steps.Count; k++) live[k] = new List<TensorVar>();
        foreach (var pair in lastRead.OrderBy(pair => pair.Key.Id))
        {
            if (!produced.TryGetValue(pair.Key, out var made) || steps[made].Aux is not null) continue;
            for (var k = made + 1; k <= pair.Value; k++) live[k].Add(pair.Key);
        }

        var end = dense ? EncoderEnd(model, live, lastRead) : HeadStart(model, live, lastRead);
        var lastStep = LastStepUnder(steps);
        var backbones = dense ? Backbones(model) : null;
        var byLevel = new Dictionary<int, (FeatureTap Tap, int Depth)>();
        for (var k = 1; k <= end; k++)
        {
            var step = steps[k - 1];
            if (step.Aux is not null || !lastRead.TryGetValue(step.Output, out var read) || read < k) continue;
            if (!dense && live[k].Count != 1) continue;
            // A map of more than one pixel: a pooled vector is the head's input, not a feature map.
            if (step.OutputShape is not { IsMap: true } shape || shape.Height <= 0 || shape.Height * shape.Width == 1) continue;
            var reduction = Reduction(model.Input.Height, shape.Height);
            var name = NameAt(step.Path, k - 1, lastStep, backbones);
            var depth = name.Count(c => c == '.');
            // Per level the last cut among those where the shallowest module ends: a block's output (MobileNet's
            // features.1), not a layer inside the next block before its stride (features.2.conv.0).
            if (byLevel.TryGetValue(reduction, out var seen) && seen.Depth < depth) continue;
            var alsoLive = live[k].Where(tensor => tensor != step.Output).ToList();
            byLevel[reduction] = (new FeatureTap(name, k, step.Output, shape, reduction, alsoLive), depth);
        }
        // A dense network of one level has no pyramid to take apart: its output is its only map.
        if (dense && byLevel.Count < 2) return taps;
        taps.AddRange(byLevel.Values.Select(level => level.Tap).OrderBy(tap => tap.Cut));
        return taps;
    }

    /// <summary>
    /// Where a dense network's encoder ends: the first main-path step that makes a finer map (of more than one pixel)
    /// than the coarsest made so far, the first step of the head's top-level group, or a global pool that takes the
    /// whole forward; whichever comes first.
    /// </summary>
    private static int EncoderEnd(NetworkModel model, List<TensorVar>[] live, Dictionary<TensorVar, int> lastRead)
    {
        var steps = model.Steps;
        var end = HeadStart(model, live, lastRead);
        if (model.HeadPath is { } head)
        {
            var group = head.Split('.')[0];
            for (var i = 0; i < end; i++)
                if (steps[i].Aux is null && (steps[i].Path == group || steps[i].Path.StartsWith(group + ".", StringComparison.Ordinal)))
                    end = i;
        }
        var coarsest = 0;
        for (var i = 0; i < end; i++)
        {
            if (steps[i].Aux is not null || steps[i].OutputShape is not { IsMap: true } shape || shape.Height <= 0 || shape.Height * shape.Width == 1) continue;
            var reduction = Reduction(model.Input.Height, shape.Height);
            if (reduction < coarsest) return i;
            coarsest = Math.Max(coarsest, reduction);
        }
        return end;
    }

    /// <summary>
    /// The first main-path step of the head, or of a global pooling, flatten or linear layer that takes the
    /// whole forward (its input is the one live tensor and is read there last: not the pooling of a squeeze-and-excitation gate, whose input the gate multiplies after).
    /// </summary>
    private static int HeadStart(NetworkModel model, List<TensorVar>[] live, Dictionary<TensorVar, int> lastRead)
    {
        var head = model.Head?.Start ?? model.Steps.Count;
        for (var i = 0; i < head; i++)
        {
            var step = model.Steps[i];
            if (step.Aux is not null) continue;
            if (ToVector(step.Operation) && live[i].Count == 1 && lastRead.TryGetValue(step.Inputs[0], out var read) && read == i) return i;
        }
        return head;
    }

    /// <summary>A global pooling, flatten or linear layer: where a classifier's features stop being maps.</summary>
    private static bool ToVector(Graph.Operation? operation) =>
        operation is GlobalAvgPoolOp or AdaptiveAvgPoolOp or FlattenOp or LinearOp;

    private static int Reduction(long input, long size) =>
        1 << (int)Math.Max(0, Math.Round(Math.Log((double)input / size, 2)));

    /// <summary>For every module path (and each of its ancestors), the index of the last step under it.</summary>
    private static Dictionary<string, int> LastStepUnder(IReadOnlyList<ForwardStep> steps)
    {
        var last = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i].Aux is not null) continue;
            for (var path = steps[i].Path; path.Length > 0; path = Parent(path))
                last[path] = i;
        }
        return last;
    }

    /// <summary>
    /// The groups that start at the input and make maps at three reduction levels or more (FCN's <c>backbone</c>, an FPN's
    /// <c>body</c>, YOLOv8's <c>model</c>): a tap is named by the stage inside, not by them. U-Net's <c>inc</c> is one level.
    /// </summary>
    private static HashSet<string> Backbones(NetworkModel model)
    {
        var levels = new Dictionary<string, HashSet<int>>(StringComparer.Ordinal);
        var atInput = new HashSet<string>(StringComparer.Ordinal);
        var steps = model.Steps;
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i].Aux is not null) continue;
            for (var path = steps[i].Path; path.Length > 0; path = Parent(path))
            {
                if (i == 0) atInput.Add(path);
                if (!atInput.Contains(path) || steps[i].OutputShape is not { IsMap: true } shape || shape.Height <= 0) continue;
                if (!levels.TryGetValue(path, out var set)) levels[path] = set = new HashSet<int>();
                set.Add(Reduction(model.Input.Height, shape.Height));
            }
        }
        // Three levels or more: a first stage that ends with its stride (NiN's stage1) is a stage, not a backbone.
        return new HashSet<string>(levels.Where(pair => pair.Value.Count > 2).Select(pair => pair.Key), StringComparer.Ordinal);
    }

    /// <summary>
    /// The step's path, widened to each enclosing group that ends with it: ResNet's last add in <c>layer1.2</c> names
    /// <c>layer1</c>. In a dense network not to one of its <paramref name="backbones"/>.
    /// </summary>
    private static string NameAt(string path, int step, Dictionary<string, int> lastStep, HashSet<string>? backbones)
    {
        if (path.Length == 0) return "input_" + step;
        while (Parent(path) is { Length: > 0 } parent && lastStep[parent] == step && backbones?.Contains(parent) != true) path = parent;
        return path;
    }

    private static string Parent(string path)
    {
        var dot = path.LastIndexOf('.');
        return dot < 0 ? "" : path.Substring(0, dot);
    }
}
