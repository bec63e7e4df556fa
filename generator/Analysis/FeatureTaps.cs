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
public sealed record FeatureTap(string Name, int Cut, TensorVar Var, Shape Shape, int Reduction);

/// <summary>
/// Finds the feature taps: between the input and the head (the YAML's <c>head:</c>, or the first global pool,
/// flatten or linear layer before it), at cuts where exactly one tensor is live and it is a feature map of more
/// than one pixel; per reduction level the last of those where the shallowest module ends.
/// </summary>
public static class FeatureTaps
{
    public static IReadOnlyList<FeatureTap> Find(NetworkModel model)
    {
        var taps = new List<FeatureTap>();
        if (model.HeadPath is null || model.Input.Height <= 0) return taps;
        var steps = model.Steps;

        // When each main-path tensor is last read; aux heads run beside the main path and do not count.
        var lastRead = new Dictionary<TensorVar, int>();
        for (var i = 0; i < steps.Count; i++)
            if (steps[i].Aux is null)
                foreach (var input in steps[i].Inputs) lastRead[input] = i;
        var produced = new Dictionary<TensorVar, int> { [model.InputVar] = -1 };
        for (var i = 0; i < steps.Count; i++) produced[steps[i].Output] = i;
        // A tensor is live across cut k (between steps k-1 and k) when it was made before k and is read at or after k.
        var liveCount = new int[steps.Count + 1];
        foreach (var pair in lastRead)
        {
            if (!produced.TryGetValue(pair.Key, out var made)) continue;
            for (var k = made + 1; k <= pair.Value; k++) liveCount[k]++;
        }

        var end = HeadStart(model, liveCount, lastRead);
        var lastStep = LastStepUnder(steps);
        var byLevel = new Dictionary<int, (FeatureTap Tap, int Depth)>();
        for (var k = 1; k <= end; k++)
        {
            var step = steps[k - 1];
            if (step.Aux is not null || liveCount[k] != 1 || !lastRead.TryGetValue(step.Output, out var read) || read < k) continue;
            // A map of more than one pixel: a pooled vector is the head's input, not a feature map.
            if (step.OutputShape is not { IsMap: true } shape || shape.Height <= 0 || shape.Height * shape.Width == 1) continue;
            var reduction = Reduction(model.Input.Height, shape.Height);
            var name = NameAt(step.Path, k - 1, lastStep);
            var depth = name.Count(c => c == '.');
            // Per level the last cut among those where the shallowest module ends: a block's output (MobileNet's
            // features.1), not a layer inside the next block before its stride (features.2.conv.0).
            if (byLevel.TryGetValue(reduction, out var seen) && seen.Depth < depth) continue;
            byLevel[reduction] = (new FeatureTap(name, k, step.Output, shape, reduction), depth);
        }
        taps.AddRange(byLevel.Values.Select(level => level.Tap).OrderBy(tap => tap.Cut));
        return taps;
    }

    /// <summary>
    /// The first main-path step of the head, or of a global pooling, flatten or linear layer that takes the
    /// whole forward (its input is the one live tensor and is read there last: not the pooling of a squeeze-and-excitation gate, whose input the gate multiplies after).
    /// </summary>
    private static int HeadStart(NetworkModel model, int[] liveCount, Dictionary<TensorVar, int> lastRead)
    {
        var head = model.Head?.Start ?? model.Steps.Count;
        for (var i = 0; i < head; i++)
        {
            var step = model.Steps[i];
            if (step.Aux is not null) continue;
            if (ToVector(step.Operation) && liveCount[i] == 1 && lastRead[step.Inputs[0]] == i) return i;
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

    /// <summary>The step's path, widened to each enclosing group that ends with it: ResNet's last add in <c>layer1.2</c> names <c>layer1</c>.</summary>
    private static string NameAt(string path, int step, Dictionary<string, int> lastStep)
    {
        if (path.Length == 0) return "input_" + step;
        while (Parent(path) is { Length: > 0 } parent && lastStep[parent] == step) path = parent;
        return path;
    }

    private static string Parent(string path)
    {
        var dot = path.LastIndexOf('.');
        return dot < 0 ? "" : path.Substring(0, dot);
    }
}
