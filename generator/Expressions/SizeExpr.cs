using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Expressions;

/// <summary>
/// How a value that depends on model arguments is computed from them: <c>num_classes</c>, <c>4 * width</c>,
/// <c>make_divisible(32 * alpha)</c>. The analysis evaluates every expression at the arguments' defaults and
/// keeps this tree beside the number, so each target prints it in its own language (<see cref="SizeExprPrinter"/>):
/// C# for the generated constructor, the DSL's own syntax for the graph's JSON and a Python module.
/// </summary>
public abstract record SizeExpr;

/// <summary>A model argument: the YAML name (<c>num_classes</c>) and the generated constructor's parameter (<c>numClasses</c>).</summary>
public sealed record ArgumentRef(string YamlName, string CSharpName) : SizeExpr;

/// <summary>
/// A value the analysis named once so later expressions refer to it instead of repeating it (DenseNet's channel
/// count after layer k; see <c>DerivedValue</c>): its definition is in the graph's derived values.
/// </summary>
public sealed record DerivedRef(string Name) : SizeExpr;

/// <summary>A constant inside an expression that depends on an argument: the <c>4</c> of <c>4 * width</c>.</summary>
public sealed record ConstantExpr(Value Value) : SizeExpr;

/// <summary><c>-x</c> or <c>not x</c>.</summary>
public sealed record UnaryOp(string Op, SizeExpr Operand) : SizeExpr;

/// <summary>
/// Arithmetic, comparison or logic in the DSL's operators: <c>+ - * / // % == != &lt; &lt;= &gt; &gt;= and or</c>
/// (<c>/</c> divides integers exactly when it can, see <see cref="Evaluator"/>).
/// </summary>
public sealed record BinaryOp(string Op, SizeExpr Left, SizeExpr Right) : SizeExpr;

/// <summary>Python's <c>a if cond else b</c>.</summary>
public sealed record ConditionalOp(SizeExpr Condition, SizeExpr WhenTrue, SizeExpr WhenFalse) : SizeExpr;

/// <summary>One of the DSL's functions (<see cref="Functions.Names"/>) applied to its arguments.</summary>
public sealed record FunctionCall(string Function, EquatableArray<SizeExpr> Arguments) : SizeExpr
{
    public FunctionCall(string function, IEnumerable<SizeExpr> arguments) : this(function, arguments.ToEquatableArray())
    {
    }
}

/// <summary>Prints a <see cref="SizeExpr"/> in each language that needs it.</summary>
public static class SizeExprPrinter
{
    /// <summary>
    /// C# over the generated constructor's parameters and derived locals, fully parenthesised (the text the
    /// generator has always written, so generated code did not change when sizes became trees).
    /// </summary>
    public static string ToCSharp(this SizeExpr expr) => expr switch
    {
        ArgumentRef argument => argument.CSharpName,
        DerivedRef derived => derived.Name,
        ConstantExpr constant => constant.Value.ToCSharp(),
        UnaryOp { Op: "not" } unary => "!" + unary.Operand.ToCSharp(),
        UnaryOp unary => unary.Op + unary.Operand.ToCSharp(),
        BinaryOp binary => $"({binary.Left.ToCSharp()} {CSharpOperator(binary.Op)} {binary.Right.ToCSharp()})",
        ConditionalOp conditional => $"({conditional.Condition.ToCSharp()} ? {conditional.WhenTrue.ToCSharp()} : {conditional.WhenFalse.ToCSharp()})",
        FunctionCall call => $"CnnGen.Runtime.DslMath.{CSharpFunction(call.Function)}({string.Join(", ", call.Arguments.Select(ToCSharp))})",
        _ => throw new System.InvalidOperationException($"no C# for {expr.GetType().Name}"),
    };

    /// <summary>The DSL's own syntax (Python's operators and functions), fully parenthesised: <c>(4 * width)</c>.</summary>
    public static string ToDsl(this SizeExpr expr) => expr switch
    {
        ArgumentRef argument => argument.YamlName,
        DerivedRef derived => derived.Name,
        ConstantExpr constant => constant.Value.ToString(),
        UnaryOp { Op: "not" } unary => "not " + unary.Operand.ToDsl(),
        UnaryOp unary => unary.Op + unary.Operand.ToDsl(),
        BinaryOp binary => $"({binary.Left.ToDsl()} {binary.Op} {binary.Right.ToDsl()})",
        ConditionalOp conditional => $"({conditional.WhenTrue.ToDsl()} if {conditional.Condition.ToDsl()} else {conditional.WhenFalse.ToDsl()})",
        FunctionCall call => $"{call.Function}({string.Join(", ", call.Arguments.Select(ToDsl))})",
        _ => throw new System.InvalidOperationException($"no DSL text for {expr.GetType().Name}"),
    };

    /// <summary>The model arguments the expression reads directly (not through derived values).</summary>
    public static IEnumerable<ArgumentRef> Arguments(this SizeExpr expr) => expr.Terms().OfType<ArgumentRef>();

    /// <summary>The derived sizes the expression names directly.</summary>
    public static IEnumerable<string> DerivedNames(this SizeExpr expr) => expr.Terms().OfType<DerivedRef>().Select(derived => derived.Name);

    /// <summary>Every leaf of the tree (arguments, derived sizes, constants), left to right.</summary>
    private static IEnumerable<SizeExpr> Terms(this SizeExpr expr) => expr switch
    {
        UnaryOp unary => unary.Operand.Terms(),
        BinaryOp binary => binary.Left.Terms().Concat(binary.Right.Terms()),
        ConditionalOp conditional => conditional.Condition.Terms().Concat(conditional.WhenTrue.Terms()).Concat(conditional.WhenFalse.Terms()),
        FunctionCall call => call.Arguments.SelectMany(Terms),
        _ => new[] { expr },
    };

    private static string CSharpOperator(string op) => op switch
    {
        "//" => "/",
        "and" => "&&",
        "or" => "||",
        _ => op,
    };

    private static string CSharpFunction(string name) => name == "make_divisible" ? "MakeDivisible" : char.ToUpperInvariant(name[0]) + name.Substring(1);
}
