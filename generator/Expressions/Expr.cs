using System.Collections.Generic;

namespace CnnGen.Generator.Expressions;

/// <summary>
/// The expression language of layer entries and arguments: <c>conv(4*width, k=3, s=stride)</c>,
/// <c>2 if i == 0 else 1</c>, <c>in/2</c>. Offsets are character positions in the entry text, so a
/// diagnostic can point at the exact argument.
/// </summary>
public abstract record Expr(int Start, int End);

public sealed record IntLiteral(long Value, int Start, int End) : Expr(Start, End);

public sealed record FloatLiteral(double Value, int Start, int End) : Expr(Start, End);

public sealed record BoolLiteral(bool Value, int Start, int End) : Expr(Start, End);

public sealed record StringLiteral(string Value, int Start, int End) : Expr(Start, End);

public sealed record NameExpr(string Name, int Start, int End) : Expr(Start, End);

public sealed record UnaryExpr(string Op, Expr Operand, int Start, int End) : Expr(Start, End);

public sealed record BinaryExpr(string Op, Expr Left, Expr Right, int Start, int End) : Expr(Start, End);

/// <summary>Python's <c>a if cond else b</c>.</summary>
public sealed record ConditionalExpr(Expr Condition, Expr WhenTrue, Expr WhenFalse, int Start, int End) : Expr(Start, End);

public sealed record TupleExpr(IReadOnlyList<Expr> Items, int Start, int End) : Expr(Start, End);

/// <summary>A call: a layer (<c>conv(64, k=3)</c>), a block, or a function (<c>round(x)</c>).</summary>
public sealed record CallExpr(string Name, int NameEnd, IReadOnlyList<Expr> Positional, IReadOnlyList<NamedArgument> Named, int Start, int End)
    : Expr(Start, End);

public sealed record NamedArgument(string Name, int NameStart, Expr Value);
