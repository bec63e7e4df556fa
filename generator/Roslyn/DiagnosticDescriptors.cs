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
            helpLinkUri: $"https://github.com/cnngen/cnngen/blob/main/docs/diagnostics/{info.Id}.md"));

    public static DiagnosticDescriptor Get(string id) => ById[id];
}
