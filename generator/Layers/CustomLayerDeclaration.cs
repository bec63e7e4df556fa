using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Layers;

/// <summary>One declared argument of a C# layer: <c>reduction: int = 16</c>.</summary>
public sealed record CustomArgument(string Name, string Type, Value? Default)
{
    public ArgumentType ArgumentType => Type switch
    {
        "int" => ArgumentType.Integer,
        "float" => ArgumentType.Number,
        _ => ArgumentType.Bool,
    };
}

/// <summary>
/// The parsed rules of a <see cref="CustomLayerSpec"/>: its arguments and the four expressions. Parsing
/// reports every mistake at the attribute (<see cref="DiagnosticCatalog.CustomLayerDeclaration"/>,
/// <see cref="DiagnosticCatalog.CustomLayerRule"/>); the generator does it once per declaration, and
/// the analysis of a network parses again (silently) to evaluate the rules at each use.
/// </summary>
public sealed class CustomLayerDeclaration
{
    public static readonly string[] Types = { "int", "float", "bool" };

    /// <summary>Names the rules see besides the arguments, and which rule sees which.</summary>
    private static readonly (string Property, string[] Names)[] Rules =
    {
        ("Channels", new[] { "in" }),
        ("Stride", new[] { "in" }),
        ("Parameters", new[] { "in", "out" }),
        ("MultiplyAccumulates", new[] { "in", "out", "H", "W" }),
    };

    private static readonly HashSet<string> Reserved = new(System.StringComparer.Ordinal)
    {
        "in", "out", "H", "W", "i", "same", "valid", "true", "false", "and", "or", "not", "if", "else",
    };

    private static readonly HashSet<string> Functions = new(System.StringComparer.Ordinal)
    {
        "round", "floor", "ceil", "int", "abs", "min", "max", "make_divisible",
    };

    /// <summary>
    /// One argument's text, <c>name: type</c> or <c>name: type = default</c> (spaces anywhere between): the offsets of
    /// its name and type, and of its default's text (everything after <c>=</c>), or -1 without one; null when it is not
    /// in that form.
    /// </summary>
    private static (int Name, int NameLength, int Type, int TypeLength, int Default)? ReadArgument(string text)
    {
        int Name(int position)
        {
            if (position >= text.Length || !Syntax.EntryText.IsNameStart(text[position])) return position;
            position++;
            while (position < text.Length && Syntax.EntryText.IsWordChar(text[position])) position++;
            return position;
        }
        var name = Syntax.EntryText.SkipSpaces(text, 0);
        var nameEnd = Name(name);
        if (nameEnd == name) return null;
        var colon = Syntax.EntryText.SkipSpaces(text, nameEnd);
        if (colon >= text.Length || text[colon] != ':') return null;
        var type = Syntax.EntryText.SkipSpaces(text, colon + 1);
        var typeEnd = Name(type);
        if (typeEnd == type) return null;
        var rest = Syntax.EntryText.SkipSpaces(text, typeEnd);
        if (rest == text.Length) return (name, nameEnd - name, type, typeEnd - type, -1);
        return text[rest] == '=' ? (name, nameEnd - name, type, typeEnd - type, rest + 1) : null;
    }

    public IReadOnlyList<CustomArgument> Arguments { get; private set; } = System.Array.Empty<CustomArgument>();

    /// <summary>False when an argument could not be read (the rules and the constructor are then not checked against the rest).</summary>
    public bool ArgumentsValid { get; private set; } = true;

    public Expr? Channels { get; private set; }

    public Expr? Stride { get; private set; }

    public Expr? Parameters { get; private set; }

    public Expr? MultiplyAccumulates { get; private set; }

    public static CustomLayerDeclaration Parse(CustomLayerSpec spec, List<Problem> problems)
    {
        var declaration = new CustomLayerDeclaration();
        void Fail(DiagnosticInfo info, SourceSpan span, string message) => problems.Add(Problem.Create(info, span, spec.DisplayName, message));
        var before = problems.Count;

        if (!Analysis.Identifiers.IsName(spec.Name) || Reserved.Contains(spec.Name))
            Fail(DiagnosticCatalog.CustomLayerDeclaration, spec.SpanOf("Name"), $"the layer name '{spec.Name}' is not a name YAML entries can call (letters, digits and '_', not starting with a digit, not a keyword)");

        var arguments = new List<CustomArgument>();
        foreach (var (start, text) in SplitTopLevel(spec.Arguments))
        {
            var trimmedStart = start + (text.Length - text.TrimStart().Length);
            SourceSpan At(int offset, int length) => spec.SpanOf("Arguments", offset, offset + length);
            if (text.Trim().Length == 0)
            {
                if (spec.Arguments.Trim().Length > 0) Fail(DiagnosticCatalog.CustomLayerDeclaration, At(start, 1), "an argument is empty (two commas in a row, or one at the end)");
                continue;
            }
            var match = ReadArgument(text);
            if (match is not { } parts)
            {
                Fail(DiagnosticCatalog.CustomLayerDeclaration, At(trimmedStart, text.Trim().Length),
                    $"'{text.Trim()}' is not an argument; write 'name: type' or 'name: type = default' with a type of {string.Join(", ", Types)}");
                continue;
            }
            var name = text.Substring(parts.Name, parts.NameLength);
            var type = text.Substring(parts.Type, parts.TypeLength);
            var nameAt = At(start + parts.Name, name.Length);
            if (Reserved.Contains(name))
            {
                Fail(DiagnosticCatalog.CustomLayerDeclaration, nameAt, $"'{name}' is a name the rules already use; choose another argument name");
                continue;
            }
            if (arguments.Any(argument => argument.Name == name))
            {
                Fail(DiagnosticCatalog.CustomLayerDeclaration, nameAt, $"the argument '{name}' is declared twice");
                continue;
            }
            if (!Types.Contains(type))
            {
                Fail(DiagnosticCatalog.CustomLayerDeclaration, At(start + parts.Type, type.Length),
                    $"'{type}' is not an argument type; use {string.Join(", ", Types)}");
                continue;
            }
            Value? @default = null;
            if (parts.Default >= 0)
            {
                var defaultText = text.Substring(parts.Default);
                var defaultStart = start + parts.Default;
                try
                {
                    var value = Evaluator.Evaluate(ExpressionParser.Parse(defaultText), _ => null);
                    @default = type switch
                    {
                        "int" when value.Kind == ValueKind.Int => value,
                        "float" when value.IsNumber => Value.Of(value.AsDouble),
                        "bool" when value.Kind == ValueKind.Bool => value,
                        _ => null,
                    };
                    if (@default is null)
                    {
                        Fail(DiagnosticCatalog.CustomLayerDeclaration, At(defaultStart, defaultText.Length), $"the default of '{name}' is {value.KindName} ({value}), not {type}");
                        continue;
                    }
                }
                catch (ExpressionException error)
                {
                    Fail(DiagnosticCatalog.CustomLayerDeclaration, At(defaultStart + error.Start, error.End - error.Start), $"the default of '{name}': {error.Message}");
                    continue;
                }
            }
            else if (arguments.Any(argument => argument.Default is not null))
            {
                Fail(DiagnosticCatalog.CustomLayerDeclaration, nameAt, $"'{name}' has no default but comes after an argument with one; required arguments come first");
                continue;
            }
            arguments.Add(new CustomArgument(name, type, @default));
        }
        declaration.Arguments = arguments;
        // A rule naming an argument whose declaration failed would only repeat that error.
        declaration.ArgumentsValid = problems.Count == before;

        var argumentNames = arguments.Select(argument => argument.Name).ToList();
        foreach (var (property, names) in Rules)
        {
            var text = property switch
            {
                "Channels" => spec.Channels,
                "Stride" => spec.Stride,
                "Parameters" => spec.Parameters,
                _ => spec.MultiplyAccumulates,
            };
            Expr? expr = null;
            try
            {
                expr = ExpressionParser.Parse(text);
                var visible = names.Concat(argumentNames).ToList();
                foreach (var unknown in Names(expr).Where(name => declaration.ArgumentsValid && !visible.Contains(name.Name)))
                {
                    Fail(DiagnosticCatalog.CustomLayerRule, spec.SpanOf(property, unknown.Start, unknown.End),
                        $"{property} = \"{text}\": '{unknown.Name}' is not defined here{Analysis.Suggestions.DidYouMean(unknown.Name, visible)} (the rule sees {string.Join(", ", visible)})");
                    expr = null;
                }
                foreach (var call in Calls(expr).Where(call => !Functions.Contains(call.Name)))
                {
                    Fail(DiagnosticCatalog.CustomLayerRule, spec.SpanOf(property, call.Start, call.NameEnd),
                        $"{property} = \"{text}\": '{call.Name}' is not a function ({string.Join(", ", Functions)})");
                    expr = null;
                }
            }
            catch (ExpressionException error)
            {
                Fail(DiagnosticCatalog.CustomLayerRule, spec.SpanOf(property, error.Start, error.End), $"{property} = \"{text}\" does not parse: {error.Message}");
            }
            switch (property)
            {
                case "Channels": declaration.Channels = expr; break;
                case "Stride": declaration.Stride = expr; break;
                case "Parameters": declaration.Parameters = expr; break;
                default: declaration.MultiplyAccumulates = expr; break;
            }
        }
        return declaration;
    }

    /// <summary>The pieces between commas outside parentheses, with where each starts.</summary>
    private static IEnumerable<(int Start, string Text)> SplitTopLevel(string text)
    {
        var depth = 0;
        var start = 0;
        for (var i = 0; i <= text.Length; i++)
        {
            if (i == text.Length || (text[i] == ',' && depth == 0))
            {
                yield return (start, text.Substring(start, i - start));
                start = i + 1;
            }
            else if (text[i] == '(') depth++;
            else if (text[i] == ')') depth--;
        }
    }

    private static IEnumerable<NameExpr> Names(Expr? expr) => Walk(expr).OfType<NameExpr>();

    private static IEnumerable<CallExpr> Calls(Expr? expr) => Walk(expr).OfType<CallExpr>();

    private static IEnumerable<Expr> Walk(Expr? expr)
    {
        if (expr is null) yield break;
        yield return expr;
        var children = expr switch
        {
            UnaryExpr unary => new[] { unary.Operand },
            BinaryExpr binary => new[] { binary.Left, binary.Right },
            ConditionalExpr conditional => new[] { conditional.Condition, conditional.WhenTrue, conditional.WhenFalse },
            TupleExpr tuple => tuple.Items.ToArray(),
            CallExpr call => call.Positional.Concat(call.Named.Select(named => named.Value)).ToArray(),
            _ => System.Array.Empty<Expr>(),
        };
        foreach (var child in children)
            foreach (var inner in Walk(child))
                yield return inner;
    }
}
