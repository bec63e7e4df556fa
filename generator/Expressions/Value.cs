using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace CnnGen.Generator.Expressions;

public enum ValueKind
{
    Int,
    Float,
    Bool,
    String,
    Tuple,
    /// <summary>An earlier output of the network, by name (<c>concat(enc4, up)</c>, <c>from=layer3</c>): <see cref="Value.Text"/> is the name, <see cref="Value.Int"/> the analysis's id for it.</summary>
    Tensor,
}

/// <summary>
/// The result of evaluating an expression. The generator evaluates everything with the model
/// arguments' defaults, so every value is known at compile time; a value that depends on a model
/// argument also carries <see cref="Symbolic"/>, how it is computed from the arguments, which each target
/// prints in its language: <c>linear(num_classes)</c> becomes <c>Linear(512, numClasses)</c> in C#.
/// </summary>
public sealed record Value(ValueKind Kind, long Int, double Float, bool Bool, string? Text, IReadOnlyList<Value>? Items, SizeExpr? Symbolic)
{
    /// <summary>The C# expression that recomputes the value from the generated constructor's parameters; null for a constant.</summary>
    public string? Dynamic => Symbolic?.ToCSharp();

    /// <summary>The value as a term of a larger expression: its tree, or itself as a constant.</summary>
    public SizeExpr AsExpr() => Symbolic ?? new ConstantExpr(this);

    public static Value Of(long value) => new(ValueKind.Int, value, value, false, null, null, null);

    public static Value Of(double value) => new(ValueKind.Float, 0, value, false, null, null, null);

    public static Value Of(bool value) => new(ValueKind.Bool, 0, 0, value, null, null, null);

    public static Value Of(string value) => new(ValueKind.String, 0, 0, false, value, null, null);

    public static Value Tuple(IReadOnlyList<Value> items) => new(ValueKind.Tuple, 0, 0, false, null, items, null);

    /// <summary>A named output of the network (see <see cref="ValueKind.Tensor"/>).</summary>
    public static Value TensorRef(string name, int id) => new(ValueKind.Tensor, id, 0, false, name, null, null);

    public Value WithSymbolic(SizeExpr? symbolic) => this with { Symbolic = symbolic };

    public bool IsNumber => Kind is ValueKind.Int or ValueKind.Float;

    public bool IsDynamic => Symbolic is not null || (Items?.Any(item => item.IsDynamic) ?? false);

    public double AsDouble => Kind == ValueKind.Int ? Int : Float;

    /// <summary>The C# text of this value: the literal, or the expression over model arguments.</summary>
    public string ToCSharp() => Dynamic ?? Kind switch
    {
        ValueKind.Int => Int.ToString(CultureInfo.InvariantCulture),
        ValueKind.Float => FormatDouble(Float),
        ValueKind.Bool => Bool ? "true" : "false",
        ValueKind.String => "\"" + (Text ?? "").Replace("\\", "\\\\").Replace("\"", "\\\"") + "\"",
        ValueKind.Tuple => "(" + string.Join(", ", Items!.Select(item => item.ToCSharp())) + ")",
        ValueKind.Tensor => throw new InvalidOperationException($"The tensor '{Text}' has no C# literal"),
        _ => throw new InvalidOperationException(),
    };

    public static string FormatDouble(double value)
    {
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains(".") || text.Contains("E") ? text : text + ".0";
    }

    /// <summary>How the value reads in a message or a layer table (<c>64</c>, <c>0.5</c>, <c>(1, 7)</c>).</summary>
    public override string ToString() => Kind switch
    {
        ValueKind.Int => Int.ToString(CultureInfo.InvariantCulture),
        ValueKind.Float => Float.ToString("R", CultureInfo.InvariantCulture),
        ValueKind.Bool => Bool ? "true" : "false",
        ValueKind.String => "'" + Text + "'",
        ValueKind.Tuple => "(" + string.Join(", ", Items!.Select(item => item.ToString())) + ")",
        ValueKind.Tensor => Text!,
        _ => "?",
    };

    public string KindName => Kind switch
    {
        ValueKind.Int => "an integer",
        ValueKind.Float => "a number",
        ValueKind.Bool => "a boolean",
        ValueKind.String => "a string",
        ValueKind.Tensor => $"the output '{Text}'",
        _ => "a tuple",
    };
}
