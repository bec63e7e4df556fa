using CnnGen.Generator.Analysis;

namespace CnnGen.Tool;

/// <summary>
/// What the forward steps say about each group path, read from their comments (<c>layer1.0: body + shortcut -> 256x56x56</c>):
/// the output of the group's last step, and the joins written at the group's own path.
/// </summary>
public sealed class GroupFlow
{
    public Dictionary<string, string> Outputs { get; } = new();
    public Dictionary<string, List<string>> Joins { get; } = new();

    public static GroupFlow Of(IReadOnlyList<ForwardStep> steps)
    {
        var flow = new GroupFlow();
        foreach (var step in steps)
        {
            var colon = step.Comment.IndexOf(':');
            var arrow = step.Comment.LastIndexOf(" -> ", StringComparison.Ordinal);
            if (colon < 0 || arrow < colon) continue;
            var path = step.Comment.Substring(0, colon);
            var output = step.Comment.Substring(arrow + 4);
            // Every group holding the step ends, so far, with its output: the last such step wins.
            for (var end = path.Length; end > 0; end = path.LastIndexOf('.', end - 1)) flow.Outputs[path.Substring(0, end)] = output;
            if (step.Kind is null && Join(step.Comment.Substring(colon + 1, arrow - colon - 1).Trim()) is { } join)
            {
                if (!flow.Joins.TryGetValue(path, out var joins)) flow.Joins[path] = joins = new List<string>();
                if (!joins.Contains(join)) joins.Add(join);
            }
        }
        return flow;
    }

    /// <summary>The join a step without a layer makes, by what its comment says; null for a split's part (its concat says it).</summary>
    private static string? Join(string what) =>
        what.Contains("body") && what.Contains("shortcut") ? "residual"
        : what.StartsWith("concat of ", StringComparison.Ordinal) && what.EndsWith(" parts", StringComparison.Ordinal) ? "split into " + what.Substring("concat of ".Length)
        : what.StartsWith("concat of ", StringComparison.Ordinal) ? what
        : what == "x * gate" ? "gate x * s(x)"
        : what.StartsWith("dense", StringComparison.Ordinal) ? "dense"
        : null;
}
