using System;
using System.Collections.Generic;
using System.Linq;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// Where the classifier head starts: the one rule that <c>ForwardFeatures</c>/<c>ForwardHead</c>, the feature taps
/// and the graph (<see cref="Graph.NetworkGraph.Head"/>) all read.
/// </summary>
/// <param name="Path">The head's module path, from the YAML's <c>head:</c>.</param>
/// <param name="Start">The head's first step: the first main-path step at or under <see cref="Path"/>.</param>
/// <param name="Clean">
/// The forward cuts cleanly there: no step from <see cref="Start"/> on reads a tensor made before it other than the
/// head's input, and no aux head runs after it; only then are the features and the head separate methods.
/// </param>
public sealed record HeadCut(string Path, int Start, bool Clean)
{
    /// <summary>The head of a network that names one under <c>head:</c> and has a step there; null otherwise.</summary>
    public static HeadCut? Find(NetworkModel model)
    {
        if (model.HeadPath is not { } head) return null;
        var steps = model.Steps;
        var start = -1;
        for (var i = 0; i < steps.Count && start < 0; i++)
            if (steps[i].Aux is null && (steps[i].Path == head || steps[i].Path.StartsWith(head + ".", StringComparison.Ordinal)))
                start = i;
        if (start < 0) return null;
        return new HeadCut(head, start, start > 0 && CutsCleanly(steps, start));
    }

    private static bool CutsCleanly(IReadOnlyList<ForwardStep> steps, int start)
    {
        var madeAfter = new HashSet<TensorVar> { steps[start].Inputs[0] };
        for (var i = start; i < steps.Count; i++)
        {
            if (steps[i].Aux is not null || steps[i].Inputs.Any(input => !madeAfter.Contains(input))) return false;
            madeAfter.Add(steps[i].Output);
        }
        return true;
    }
}
