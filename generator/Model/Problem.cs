using System;
using CnnGen.Generator.Diagnostics;

namespace CnnGen.Generator.Model;

/// <summary>
/// A diagnostic found by the pure pipeline: which catalog entry, the formatted message, and where.
/// <see cref="Related"/> points at a second place that helps (the line that instantiated a block).
/// </summary>
public sealed record Problem(string Id, ProblemSeverity Severity, string Message, SourceSpan Span, SourceSpan? Related = null)
    : IEquatable<Problem>
{
    public static Problem Create(DiagnosticInfo info, SourceSpan span, params object[] args) =>
        new(info.Id, info.Severity, string.Format(System.Globalization.CultureInfo.InvariantCulture, info.MessageFormat, args), span);

    public override string ToString() => $"{Span}: {Severity.ToString().ToLowerInvariant()} {Id}: {Message}";
}
