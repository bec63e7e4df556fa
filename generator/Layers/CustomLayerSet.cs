using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Layers;

/// <summary>The C# layers of one compilation, by YAML name, after the checks that need all of them.</summary>
public static class CustomLayerSet
{
    /// <summary>
    /// The layers a network may use: each declaration whose name is neither a built-in layer's nor
    /// another declaration's. A name declared twice stays unusable (its uses report CNN0035).
    /// </summary>
    public static IReadOnlyList<LayerKind> Usable(IReadOnlyList<CustomLayerSpec> specs) =>
        specs.Where(spec => LayerCatalog.Find(spec.Name) is null && specs.Count(other => other.Name == spec.Name) == 1)
             .Select(spec => (LayerKind)new CustomLayer(spec)).ToList();

    /// <summary>Each declaration's own problems, and names that collide, reported at the attribute's name.</summary>
    public static IEnumerable<(CustomLayerSpec Spec, Problem Problem)> Problems(IReadOnlyList<CustomLayerSpec> specs)
    {
        foreach (var spec in specs)
        {
            foreach (var problem in spec.Problems) yield return (spec, problem);
            if (LayerCatalog.Find(spec.Name) is { } builtIn)
            {
                yield return (spec, Problem.Create(DiagnosticCatalog.CustomLayerName, spec.SpanOf("Name"), spec.DisplayName,
                    $"'{spec.Name}' is the built-in layer '{builtIn.Name}'; give this layer another name (YAML would always mean the built-in one)"));
                continue;
            }
            var twins = specs.Where(other => other.Name == spec.Name && other != spec).Select(other => other.DisplayName).ToList();
            if (twins.Count > 0)
                yield return (spec, Problem.Create(DiagnosticCatalog.CustomLayerName, spec.SpanOf("Name"), spec.DisplayName,
                    $"'{spec.Name}' is also the name of {string.Join(", ", twins)}; each C# layer needs its own name"));
        }
    }
}
