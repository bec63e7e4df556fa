using CnnGen.Generator.Expressions;

namespace CnnGen.Tool.PyTorch;

/// <summary>
/// Prints a size expression (<see cref="SizeExpr"/>, the analysis's own tree) in Python over the constructor's
/// parameters, with the DSL's meaning: <c>/</c> stays an integer when it divides exactly (<c>_div</c>), <c>floor</c> and
/// <c>ceil</c> are math's, <c>make_divisible</c> is torchvision's <c>_make_divisible</c>. Records which helpers the file
/// then needs. Names are printed only after <see cref="PyTorchExport"/> checked them.
/// </summary>
internal sealed class PythonExpressions
{
    private readonly HashSet<string> _helpers;

    public PythonExpressions(HashSet<string> helpers) => _helpers = helpers;

    /// <summary>The expression without outer parentheses.</summary>
    public string Print(SizeExpr expr)
    {
        var text = Term(expr);
        return text.Length > 1 && text[0] == '(' && Closes(text) ? text.Substring(1, text.Length - 2) : text;
    }

    /// <summary>Whether the first parenthesis closes at the last character.</summary>
    private static bool Closes(string text)
    {
        var depth = 0;
        var quoted = false;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == '"' && (i == 0 || text[i - 1] != '\\')) quoted = !quoted;
            if (quoted) continue;
            if (c == '(') depth++;
            else if (c == ')' && --depth == 0) return i == text.Length - 1;
        }
        return false;
    }

    private string Term(SizeExpr expr) => expr switch
    {
        ArgumentRef argument => argument.YamlName,
        DerivedRef derived => derived.Name,
        ConstantExpr constant => Constant(constant.Value),
        UnaryOp { Op: "not" } unary => $"(not {Term(unary.Operand)})",
        UnaryOp { Op: "-" } unary => $"(-{Term(unary.Operand)})",
        BinaryOp { Op: "/" } binary => Helper("_div", $"_div({Print(binary.Left)}, {Print(binary.Right)})"),
        BinaryOp binary when Operators.Contains(binary.Op) => $"({Term(binary.Left)} {binary.Op} {Term(binary.Right)})",
        ConditionalOp conditional => $"({Term(conditional.WhenTrue)} if {Term(conditional.Condition)} else {Term(conditional.WhenFalse)})",
        FunctionCall call => Call(call),
        _ => throw new PyTorchExportException(PyTorchExport.Unsupported, $"the size expression {expr.ToDsl()} has no Python form"),
    };

    private static readonly HashSet<string> Operators = new(StringComparer.Ordinal)
    {
        "+", "-", "*", "//", "%", "==", "!=", "<", "<=", ">", ">=", "and", "or",
    };

    private string Call(FunctionCall call)
    {
        var arguments = string.Join(", ", call.Arguments.Select(Print));
        return call.Function switch
        {
            "round" or "int" or "min" or "max" or "abs" => $"{call.Function}({arguments})",
            "floor" or "ceil" => Helper("math", $"math.{call.Function}({arguments})"),
            "make_divisible" => Helper("_make_divisible", $"_make_divisible({arguments})"),
            _ => throw new PyTorchExportException(PyTorchExport.Unsupported, $"the DSL function {PythonText.Comment(call.Function)}() has no Python form"),
        };
    }

    private string Helper(string name, string text)
    {
        _helpers.Add(name);
        return text;
    }

    public static string Constant(Value value) => value.Kind switch
    {
        ValueKind.Int => PythonText.Int(value.Int),
        ValueKind.Float => PythonText.Float(value.Float),
        ValueKind.Bool => PythonText.Bool(value.Bool),
        ValueKind.String => PythonText.Literal(value.Text ?? ""),
        ValueKind.Tuple => "(" + string.Join(", ", value.Items!.Select(Constant)) + (value.Items!.Count == 1 ? ",)" : ")"),
        _ => throw new PyTorchExportException(PyTorchExport.Unsupported, "a constant of an unknown kind"),
    };

    /// <summary>Every leaf of the tree.</summary>
    public static IEnumerable<SizeExpr> Leaves(SizeExpr expr) => expr switch
    {
        UnaryOp unary => Leaves(unary.Operand),
        BinaryOp binary => Leaves(binary.Left).Concat(Leaves(binary.Right)),
        ConditionalOp conditional => Leaves(conditional.Condition).Concat(Leaves(conditional.WhenTrue)).Concat(Leaves(conditional.WhenFalse)),
        FunctionCall call => call.Arguments.SelectMany(Leaves),
        _ => new[] { expr },
    };
}
