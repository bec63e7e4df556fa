using System;
using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>Binding a layer's arguments and adding the layer to the module tree and the forward pass.</summary>
public sealed partial class NetworkAnalyzer
{
    private BoundArguments? Bind(LayerKind kind, Entry entry, Scope scope, Shape? input)
    {
        if (input is not null) scope.Set("in", input.Channels);
        scope.Set("same", Value.Of("same"));
        scope.Set("valid", Value.Of(0));
        var args = new BoundArguments();
        var parameters = kind.Parameters;
        var call = entry.Call;
        var positional = call?.Positional ?? Array.Empty<Expr>();
        var named = call?.Named ?? Array.Empty<NamedArgument>();
        var ok = true;
        var given = new Dictionary<ParameterSpec, Expr>();
        // Parameters an unknown argument's "did you mean" names: 'kernal=3' is one mistake, reported as
        // the unknown argument, not again as 'kernel' missing.
        var misspelled = new HashSet<ParameterSpec>();

        if (positional.Count > parameters.Count)
        {
            Report(DiagnosticCatalog.UnknownArgument, entry.SpanOf(positional[parameters.Count]), Where(), kind.Name, $"#{parameters.Count + 1}",
                parameters.Count == 0 ? "; it takes no arguments" : $"; it takes at most {parameters.Count}: {string.Join(", ", parameters.Select(p => p.Name))}");
            ok = false;
        }
        for (var i = 0; i < Math.Min(positional.Count, parameters.Count); i++)
            given[parameters[i]] = positional[i];
        foreach (var argument in named)
        {
            var parameter = parameters.FirstOrDefault(p => p.AllNames.Contains(argument.Name));
            var nameSpan = entry.Scalar.SpanOf(entry.Offset + argument.NameStart, entry.Offset + argument.NameStart + argument.Name.Length);
            if (parameter is null)
            {
                var guess = Suggestions.Closest(argument.Name, parameters.SelectMany(p => p.AllNames));
                if (guess is not null) misspelled.Add(parameters.First(p => p.AllNames.Contains(guess)));
                Report(DiagnosticCatalog.UnknownArgument, nameSpan, Where(), kind.Name, argument.Name,
                    Suggestions.DidYouMean(argument.Name, parameters.SelectMany(p => p.AllNames)) +
                    (parameters.Count == 0 ? "; it takes no arguments" : $" (arguments: {string.Join(", ", parameters.Select(Signature))})"));
                ok = false;
                continue;
            }
            if (given.ContainsKey(parameter))
            {
                Report(DiagnosticCatalog.UnknownArgument, nameSpan, Where(), kind.Name, argument.Name, $" a second time ('{parameter.Name}' is already given)");
                ok = false;
                continue;
            }
            given[parameter] = argument.Value;
        }

        foreach (var parameter in parameters)
        {
            if (!given.TryGetValue(parameter, out var expr))
            {
                if (parameter.Default is not null)
                {
                    args.Set(parameter.Name, parameter.Default, default);
                    continue;
                }
                if (!misspelled.Contains(parameter)) Report(DiagnosticCatalog.MissingArgument, entry.NameSpan, Where(), kind.Name, parameter.Name);
                ok = false;
                continue;
            }
            var value = parameter.Type == ArgumentType.Output ? ReadOutputRef(expr, entry, scope, $"{parameter.Name}=") : TryEvaluate(expr, scope, entry, input is not null);
            if (value is null)
            {
                ok = false;
                continue;
            }
            var span = entry.SpanOf(expr);
            var problem = CheckType(parameter, value);
            if (problem is not null)
            {
                Report(DiagnosticCatalog.ArgumentType, span, Where(), parameter.Name, kind.Name, problem);
                ok = false;
                continue;
            }
            args.Set(parameter.Name, value, span);
        }
        return ok && input is not null ? args : null;
    }

    /// <summary>The output an <see cref="ArgumentType.Output"/> argument names; null when it was not given.</summary>
    private Flow? OutputOf(BoundArguments args, string argument) =>
        args.IsGiven(argument) && args[argument] is { Kind: ValueKind.Tensor } tensor ? _outputs[(int)tensor.Int] : null;

    private static string Signature(ParameterSpec parameter) =>
        (parameter.Aliases.Length > 0 ? $"{parameter.Name}/{parameter.Aliases[0]}" : parameter.Name) + (parameter.IsRequired ? "" : "=" + parameter.Default);

    private static string? CheckType(ParameterSpec parameter, Value value)
    {
        switch (parameter.Type)
        {
            case ArgumentType.Count:
                if (value.Kind != ValueKind.Int) return $"must be a positive integer, not {value.KindName} ({value})";
                if (value.Int < 1) return $"must be a positive integer, not {value}";
                return value.Int > int.MaxValue ? $"is {value}, larger than any tensor dimension TorchSharp accepts" : null;
            case ArgumentType.Integer:
                return value.Kind == ValueKind.Int ? null : $"must be an integer, not {value.KindName} ({value})";
            case ArgumentType.Padding when value.Kind == ValueKind.String:
                return value.Text == "same" ? null : $"must be an integer, a pair (height, width), same or valid, not {value}";
            case ArgumentType.Pair or ArgumentType.Padding:
                if (value.IsDynamic) return "sets a size, which must be fixed at compile time; it cannot depend on a model argument";
                if (value.Kind == ValueKind.Int) return value.Int < 0 ? $"must not be negative ({value})" : value.Int > 1_000_000 ? $"is {value}, far larger than any feature map" : null;
                if (value.Kind == ValueKind.Tuple && value.Items!.Count == 2 && value.Items.All(item => item.Kind == ValueKind.Int && item.Int >= 0 && item.Int <= 1_000_000)) return null;
                return $"must be a non-negative integer or a pair (height, width), not {value}";
            case ArgumentType.Number:
                return value.IsNumber ? null : $"must be a number, not {value.KindName} ({value})";
            case ArgumentType.Output:
                return value.Kind == ValueKind.Tensor ? null : $"must name an earlier output, not {value.KindName} ({value})";
            case ArgumentType.Bool:
                if (value.IsDynamic) return "must be fixed at compile time; it cannot depend on a model argument";
                return value.Kind == ValueKind.Bool ? null : $"must be true or false, not {value}";
            default:
                return null;
        }
    }

    /// <summary>The blocks being instantiated, outermost first, each with its instance's module path.</summary>
    private (string Name, string Path)[] BlockFrames() => _instantiations.Reverse().Select(frame => (frame.Block.Name, frame.Path)).ToArray();

    private readonly HashSet<string> _fields = new();

    /// <summary>
    /// The field for a module: its path with '_' for every other character, and a number after it where two
    /// paths meet in one name (<c>block1-0</c> and <c>block1_0</c> are different state-dict keys).
    /// </summary>
    private string UniqueField(string field)
    {
        var unique = field;
        for (var n = 2; !_fields.Add(unique); n++) unique = field + "_" + n.ToString(System.Globalization.CultureInfo.InvariantCulture);
        return unique;
    }

    /// <summary>
    /// Analyses one layer instance and adds it: a module-tree leaf named <paramref name="name"/> when
    /// it has state, a forward step, and a row of the layer table.
    /// </summary>
    private Flow AddLayer(LayerKind kind, BoundArguments args, YamlScalar site, Flow flow, Group group, string name, bool registerName = true)
    {
        if (flow.Shape is null || !CountInstance(site.Span)) return flow with { Shape = null };
        var path = group.ChildPath(name);
        var context = new LayerContext(path, kind, flow.Shape, args, site.Span, Related, _problems) { OutputShape = argument => OutputOf(args, argument)?.Shape };
        LayerResult? result;
        try
        {
            result = kind.Analyze(context);
        }
        catch (OverflowException)
        {
            Report(DiagnosticCatalog.ArgumentType, site.Span, $"'{path}'", "size", kind.Name, $"gives a parameter or MAC count beyond 64 bits for input {flow.Shape}");
            result = null;
        }
        if (result is null) return flow with { Shape = null };
        result = result with { Output = WithFormulas(result.Output, flow.Shape, result.SizeRule) };

        string? field = null;
        if (result.HasModule)
        {
            field = UniqueField(Identifiers.Field(path));
            var leaf = new ModuleNode(name, isGroup: false) { Field = field, Operation = result.Operation, Input = flow.Shape, IsParameter = result.IsParameter, Site = site.Span };
            group.Node.Children.Add(leaf);
            RecordTensors(leaf, result);
        }

        var row = new LayerRow(registerName ? path : group.ChildPath(kind.Name), kind.Name, result.Detail, result.Output, result.Parameters, result.Macs)
        {
            Formula = DescribeFormula(result.Output),
            Blocks = BlockFrames(),
        };
        var op = result.Forward;
        var output = NewVar();
        output.IsAlias = op.MayAlias;
        output.AliasesInput = op.MayAlias && (flow.Var.IsInput || flow.Var.AliasesInput);
        output.SavedByProducer = op.SavesOutput;
        var template = field is null ? op.Template : op.Template.Replace("{m}", field);
        var inPlace = field is null ? op.InPlace : op.InPlace?.Replace("{m}", field);
        var inputs = result.ReadsOutputs is { } several ? new[] { flow.Var }.Concat(several.Select(read => OutputOf(args, read)!.Var)).ToArray()
            : result.ReadsOutput is { } reads ? new[] { flow.Var, OutputOf(args, reads)!.Var } : new[] { flow.Var };
        _model.Steps.Add(new ForwardStep(output, inputs, template, inPlace, $"{(registerName ? path : group.Path)}: {(kind.Name + " " + result.Detail).Trim()} -> {result.Output}")
        {
            Kind = kind.Name,
            Field = field,
            Pointwise = result.Pointwise,
            ConsumingTemplate = field is null ? op.Consuming : op.Consuming?.Replace("{m}", field),
            Path = registerName ? path : group.Path,
            OutputShape = result.Output,
            Operation = result.Operation,
            Site = site.Span,
            Row = row,
            Blocks = row.Blocks,
            Tensors = field is null ? System.Array.Empty<StateTensor>() : result.Tensors?.Select(tensor => tensor.Under(path)).ToArray(),
        });

        try
        {
            _model.ParameterCount = checked(_model.ParameterCount + result.Parameters);
            _model.Macs = checked(_model.Macs + result.Macs);
        }
        catch (OverflowException)
        {
            Report(DiagnosticCatalog.ArgumentType, site.Span, $"'{path}'", "size", kind.Name, "pushes the network's parameter or MAC total beyond 64 bits");
            return flow with { Shape = null };
        }
        _model.Layers.Add(row);
        return new Flow(output, result.Output);
    }
}
