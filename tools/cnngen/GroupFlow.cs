using CnnGen.Generator.Analysis;

namespace CnnGen.Tool;

/// <summary>
/// What the forward steps say about each group path, read from their typed data (<see cref="ForwardStep.Path"/>,
/// <see cref="ForwardStep.OutputShape"/>, <see cref="ForwardStep.Operation"/>): the output of the group's last step,
/// and the joins written at the group's own path.
/// </summary>
public sealed class GroupFlow
{
    public Dictionary<string, string> Outputs { get; } = new();
    public Dictionary<string, List<string>> Joins { get; } = new();

    public static GroupFlow Of(IReadOnlyList<ForwardStep> steps)
    {
        var flow = new GroupFlow();
        var joins = new StepJoins(steps);
        foreach (var step in steps)
        {
            if (step.OutputShape is not { } shape) continue;
            var (path, output) = (step.Path, shape.ToString());
            // Every group holding the step ends, so far, with its output: the last such step wins.
            for (var end = path.Length; end > 0; end = path.LastIndexOf('.', end - 1)) flow.Outputs[path.Substring(0, end)] = output;
            if (Join(step, joins.Of(step)) is { } join)
            {
                if (!flow.Joins.TryGetValue(path, out var list)) flow.Joins[path] = list = new List<string>();
                if (!list.Contains(join)) list.Add(join);
            }
        }
        return flow;
    }

    /// <summary>How a group's row names the join a step makes; null for a layer and for a split's part (its concat says it).</summary>
    private static string? Join(ForwardStep step, JoinKind? kind) => kind switch
    {
        JoinKind.Residual => "residual",
        JoinKind.Sum => $"sum of {step.Inputs.Count} outputs",
        JoinKind.Split => $"split into {step.Inputs.Count} parts",
        JoinKind.Concat => $"concat of {step.Inputs.Count} branches",
        JoinKind.Gate => "gate x * s(x)",
        JoinKind.Dense => "dense",
        _ => null,
    };
}
