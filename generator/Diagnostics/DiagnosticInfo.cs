namespace CnnGen.Generator.Diagnostics;

public enum ProblemSeverity
{
    Warning,
    Error,
}

/// <summary>One entry of the diagnostic catalog: a stable ID, a title and a message format.</summary>
public sealed record DiagnosticInfo(string Id, string Title, string MessageFormat, ProblemSeverity Severity);
