using System.Reflection;
using CnnGen.Generator.Diagnostics;

namespace CnnGen.Tool;

/// <summary>
/// The diagnostics' help pages (docs/diagnostics/CNN00NN.md), embedded in the tool at build time so they
/// are there wherever the tool runs, without the repository (the diagnostics carry no web link).
/// </summary>
public static class HelpPages
{
    /// <summary>Every ID the generator can report, in catalog order.</summary>
    public static IReadOnlyList<string> Ids { get; } = DiagnosticCatalog.All.Select(info => info.Id).ToList();

    /// <summary>The page of <paramref name="id"/> (any case), or null for an ID the catalog does not have or a page missing from the build.</summary>
    public static string? Find(string id)
    {
        var known = Ids.FirstOrDefault(candidate => string.Equals(candidate, id.Trim(), StringComparison.OrdinalIgnoreCase));
        if (known is null) return null;
        using var stream = typeof(HelpPages).Assembly.GetManifestResourceStream($"diagnostics/{known}.md");
        if (stream is null) return null;
        using var reader = new StreamReader(stream);
        return reader.ReadToEnd();
    }
}
