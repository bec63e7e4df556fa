using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using Microsoft.CodeAnalysis;

namespace CnnGen.Generator.Roslyn;

/// <summary>The Roslyn descriptors of the catalog, created once.</summary>
internal static class DiagnosticDescriptors
{
    public const string Category = "CnnGen";

    private static readonly Dictionary<string, DiagnosticDescriptor> ById = DiagnosticCatalog.All.ToDictionary(
        info => info.Id,
        info => new DiagnosticDescriptor(
            info.Id,
            info.Title,
            "{0}",
            Category,
            info.Severity == ProblemSeverity.Error ? DiagnosticSeverity.Error : DiagnosticSeverity.Warning,
            isEnabledByDefault: true,
            // No help link: there is no public repository to link to, and a dead link is worse than none.
            // The help pages ship inside the cnngen tool; the description (the IDE's details pane, SARIF)
            // says how to read one. Messages stay as they are: the compiler prints them on every line.
            description: $"{info.Title}. Run 'cnngen explain {info.Id}' for the help page: what it means, an example and the fix.",
            helpLinkUri: null));

    public static DiagnosticDescriptor Get(string id) => ById[id];
}
