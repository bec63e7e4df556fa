using System.Collections.Generic;
using CnnGen.Generator.Diagnostics;

namespace CnnGen.Generator.Analysis;

/// <summary>Checks that the module tree's names, which become state-dict keys, are unique in each group.</summary>
public sealed partial class NetworkAnalyzer
{
    /// <summary>Two children of one group with the same name would clash in the state dict (e.g. 'as unit{i+1}' meeting 'as unit1').</summary>
    private void CheckUniqueNames(ModuleNode node, string path)
    {
        var seen = new HashSet<string>();
        foreach (var child in node.Children)
        {
            var childPath = path.Length == 0 ? child.Name : path + "." + child.Name;
            if (!seen.Add(child.Name))
                Report(DiagnosticCatalog.DuplicateName, child.Site, $"Two layers are named '{childPath}'; state-dict names must be unique");
            else if (child.IsGroup)
                CheckUniqueNames(child, childPath);
        }
    }
}
