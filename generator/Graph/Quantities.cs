using System.Globalization;
using CnnGen.Generator.Expressions;

namespace CnnGen.Generator.Graph;

/// <summary>
/// An integer size of the network (a channel count, a feature count) at the model arguments' defaults, and,
/// when it depends on them, how it is computed from them (<c>num_classes</c>, <c>(4 * width)</c>).
/// </summary>
public sealed record Dim(long Value, SizeExpr? Expr = null)
{
    public static Dim Of(Value value) => new(value.Int, value.Symbolic);

    public bool IsSymbolic => Expr is not null;

    /// <summary>The C# text of the size: the expression over the generated constructor's parameters, or the number.</summary>
    public string ToCSharp() => Expr?.ToCSharp() ?? ToString();

    public override string ToString() => Value.ToString(CultureInfo.InvariantCulture);
}

/// <summary>A real-valued attribute (a dropout or stochastic-depth rate) at the arguments' defaults, and how it follows from them.</summary>
public sealed record Scalar(double Value, SizeExpr? Expr = null)
{
    public static Scalar Of(Value value) => new(value.AsDouble, value.Symbolic);

    /// <summary>The C# text of the number (a double literal, <c>0.5</c>, <c>1.0</c>), or its expression over the constructor's parameters.</summary>
    public string ToCSharp() => Expr?.ToCSharp() ?? Expressions.Value.FormatDouble(Value);

    public override string ToString() => Value.ToString("R", CultureInfo.InvariantCulture);
}

/// <summary>A (height, width) attribute: a kernel, stride, padding or dilation, fixed at compile time.</summary>
public readonly record struct Pair(long H, long W)
{
    public static implicit operator Pair((long H, long W) pair) => new(pair.H, pair.W);

    public bool IsSquare => H == W;

    public override string ToString() => IsSquare ? H.ToString(CultureInfo.InvariantCulture) : $"({H}, {W})";
}
