using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Syntax;

/// <summary>A YAML node with its location; the DSL is read from these, never from YamlDotNet types.</summary>
public abstract record YamlNodeSyntax(SourceSpan Span);

/// <summary>
/// A scalar. <see cref="ContentStart"/> is where its text begins in the file (after an opening quote),
/// so an error inside <c>conv(64, k=3)</c> can point at the character that is wrong.
/// </summary>
public sealed record YamlScalar(string Text, SourceSpan Span, SourceSpan ContentStart, bool IsPlain) : YamlNodeSyntax(Span)
{
    /// <summary>
    /// An item of a flow list (<c>[a, b]</c>) that a comma ends: where YAML cut an entry in two (<c>['conv(16', k=3)]</c>),
    /// as opposed to an entry that is simply missing its <c>)</c>.
    /// </summary>
    public bool EndsAtFlowComma { get; init; }

    /// <summary>The span of characters <paramref name="start"/>..<paramref name="end"/> of <see cref="Text"/>.</summary>
    public SourceSpan SpanOf(int start, int end)
    {
        if (Span.StartLine != Span.EndLine || Text.IndexOf('\n') >= 0) return Span;
        return ContentStart.Slice(start, System.Math.Max(end - start, 1));
    }
}

public sealed record YamlSequence(IReadOnlyList<YamlNodeSyntax> Items, SourceSpan Span) : YamlNodeSyntax(Span);

public sealed record YamlMapping(IReadOnlyList<KeyValuePair<YamlScalar, YamlNodeSyntax>> Entries, SourceSpan Span) : YamlNodeSyntax(Span)
{
    public YamlNodeSyntax? Get(string key) => Entries.FirstOrDefault(entry => entry.Key.Text == key).Value;

    public YamlScalar? KeyOf(string key) => Entries.FirstOrDefault(entry => entry.Key.Text == key).Key;
}
