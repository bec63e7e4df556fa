using System;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Layers;

/// <summary>
/// A layer written in C# (a class with <c>[CnnLayer]</c>), as the generator read it from the compilation:
/// only strings, numbers and source positions, never Roslyn symbols, so the incremental pipeline can
/// compare two of them by value and skip every network when nothing about the layer changed.
/// </summary>
/// <param name="Name">The YAML name, e.g. <c>cbam</c>.</param>
/// <param name="TypeName">The class, fully qualified for C#: <c>global::MyApp.Cbam</c>.</param>
/// <param name="DisplayName">The class as messages name it: <c>MyApp.Cbam</c>.</param>
/// <param name="SourcePath">The C# file of the attribute.</param>
/// <param name="Arguments">The attribute's <c>Arguments</c> text.</param>
/// <param name="ConstructorTypes">
/// The C# types of the public constructor that matches the arguments (<c>long</c> for the input channels,
/// then one per argument); empty when the class has none (reported as <see cref="Diagnostics.DiagnosticCatalog.CustomLayerClass"/>).
/// </param>
/// <param name="Problems">What is wrong with the declaration, at its C# location; a layer with an error here is not usable.</param>
public sealed record CustomLayerSpec(
    string Name,
    string TypeName,
    string DisplayName,
    string SourcePath,
    SourceSpan Site,
    string Arguments,
    string Channels,
    string Stride,
    bool CeilMode,
    string Parameters,
    string MultiplyAccumulates,
    EquatableArray<string> ConstructorTypes,
    EquatableArray<Problem> Problems) : IEquatable<CustomLayerSpec>
{
    /// <summary>Where each rule's text was written (the attribute argument, or the attribute when the default is used).</summary>
    public EquatableArray<CustomRuleSite> Sites { get; init; } = EquatableArray<CustomRuleSite>.Empty;

    public bool HasErrors => System.Linq.Enumerable.Any(Problems, problem => problem.Severity == Diagnostics.ProblemSeverity.Error);

    /// <summary>The span of a property's value (its text starts <paramref name="offset"/> characters in), for a diagnostic at the rule.</summary>
    public SourceSpan SpanOf(string property, int start = 0, int end = -1)
    {
        foreach (var site in Sites)
        {
            if (site.Property != property) continue;
            if (site.TextOffset < 0 || end < 0) return site.Span;
            return site.Span.Slice(site.TextOffset + start, Math.Max(1, end - start));
        }
        return Site;
    }
}

/// <summary>
/// Where an attribute property was written. <see cref="TextOffset"/>: where the string's text starts
/// inside <see cref="Span"/> (1 for a plain literal <c>"..."</c>), or -1 when its characters cannot be
/// mapped (a constant, a verbatim string with doubled quotes, escapes).
/// </summary>
public readonly record struct CustomRuleSite(string Property, SourceSpan Span, int TextOffset);
