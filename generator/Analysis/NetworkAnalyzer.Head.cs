using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// What a weight loader needs to know about the network's ends: <c>head:</c> (the classifier head's
/// module path, checked to name a module), the stem (the first convolution, found rather than declared)
/// and the names of every aux head the file declares, including those a variant leaves out, so a loader
/// can tell a torchvision file's aux1/AuxLogits tensors from a real mismatch.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    private void ReadHeadFacts()
    {
        _model.StemConvPath = _model.Layers.FirstOrDefault(row => row.Type == "conv" && FindModule(row.Path) is { IsGroup: false })?.Path;
        if (_document.Aux is YamlMapping aux)
            _model.DeclaredAuxHeads.AddRange(aux.Entries.Select(entry => entry.Key.Text).Where(Identifiers.IsName));

        if (_document.Head is not { } head) return;
        if (FindModule(head.Text) is not null)
        {
            _model.HeadPath = head.Text;
            return;
        }
        var paths = new List<string>();
        CollectPaths(_model.Root, "", paths);
        Report(DiagnosticCatalog.InvalidValue, head.Span, "head",
            $"must be the module path of the classifier head (e.g. fc or classifier.6); '{head.Text}' names no module of {_model.ClassName}" +
            Suggestions.DidYouMean(head.Text, paths));
    }

    /// <summary>The module at a dotted state-dict path (<c>classifier.6</c>), or null.</summary>
    private ModuleNode? FindModule(string path)
    {
        var node = _model.Root;
        foreach (var part in path.Split('.'))
        {
            node = node.Children.FirstOrDefault(child => child.Name == part && !child.IsParameter);
            if (node is null) return null;
        }
        return node == _model.Root ? null : node;
    }

    private static void CollectPaths(ModuleNode node, string prefix, List<string> paths)
    {
        foreach (var child in node.Children.Where(child => !child.IsParameter))
        {
            var path = prefix.Length == 0 ? child.Name : prefix + "." + child.Name;
            paths.Add(path);
            CollectPaths(child, path, paths);
        }
    }
}
