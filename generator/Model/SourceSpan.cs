namespace CnnGen.Generator.Model;

/// <summary>
/// Where something is in a YAML file: character offsets and zero-based line/column positions.
/// A plain value (no Roslyn types) so the pipeline stays testable and cacheable; the Roslyn glue
/// turns it into a <c>Location</c> only when it reports a diagnostic (as NetEscapades' LocationInfo).
/// </summary>
public readonly record struct SourceSpan(int Start, int End, int StartLine, int StartColumn, int EndLine, int EndColumn)
{
    public static SourceSpan None => default;

    /// <summary>A sub-range of a single-line span, <paramref name="offset"/> characters in.</summary>
    public SourceSpan Slice(int offset, int length)
    {
        if (StartLine != EndLine) return this;
        var start = Start + offset;
        var column = StartColumn + offset;
        return new SourceSpan(start, start + length, StartLine, column, StartLine, column + length);
    }

    /// <summary>One-based "line,column" as compilers print it.</summary>
    public override string ToString() => $"({StartLine + 1},{StartColumn + 1})";
}
