using System;
using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Layers;

namespace CnnGen.Generator.Analysis;

/// <summary>Layers written in C# (<c>[CnnLayer]</c>): found after the built-in catalog.</summary>
public sealed partial class NetworkAnalyzer
{
    private IReadOnlyList<LayerKind> _customLayers = Array.Empty<LayerKind>();

    /// <summary>A built-in layer, else one of the compilation's C# layers.</summary>
    private LayerKind? FindLayer(string name) =>
        LayerCatalog.Find(name) ?? _customLayers.FirstOrDefault(kind => kind.Name == name);

    /// <summary>
    /// A C# layer whose declaration has errors (reported at its attribute) is not bound at all: its
    /// arguments are unknown, so the use says only that the layer cannot be used yet.
    /// </summary>
    private bool IsUnusable(LayerKind kind, Entry entry)
    {
        if (kind is not CustomLayer { IsUsable: false } custom) return false;
        var spec = custom.Spec;
        Report(Diagnostics.DiagnosticCatalog.CustomLayerUnusable, entry.NameSpan, spec.Name, spec.DisplayName, System.IO.Path.GetFileName(spec.SourcePath) + spec.Site);
        return true;
    }

    private IEnumerable<string> LayerNames => LayerCatalog.Names.Concat(_customLayers.Select(kind => kind.Name));
}
