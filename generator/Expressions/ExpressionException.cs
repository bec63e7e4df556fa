using System;

namespace CnnGen.Generator.Expressions;

/// <summary>A syntax or evaluation error at a character range of the entry text.</summary>
public sealed class ExpressionException : Exception
{
    public ExpressionException(string message, int start, int end)
        : base(message)
    {
        Start = start;
        End = end < start ? start : end;
    }

    public int Start { get; }

    public int End { get; }
}
