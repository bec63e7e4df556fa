using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// Named outputs: every key of a mapping names its entry's output for the entries after it (and the mappings nested
/// in them), and <c>input</c> names the network's or the block's input. An entry reads another output than the
/// previous one with <c>from=name</c>, a join reads several (<c>concat(enc4, up)</c>), a layer sizes itself by one
/// (<c>upsample(to=enc1)</c>), and a block takes outputs as arguments (<c>up(512, skip=enc4)</c>). A list item has no
/// key, so <c>output=name</c> names its output (its module keeps its index: torchvision's <c>backbone.4</c> tapped as
/// "low", Ultralytics' <c>model.6</c> read by the neck). Ultralytics' model YAML names inputs by index
/// (<c>[[-1, 6], 1, Concat, [1]]</c>); here they are names, checked where they are written.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    /// <summary>Every named output so far, by the id its <see cref="ValueKind.Tensor"/> value carries.</summary>
    private readonly List<Flow> _outputs = new();

    /// <summary>The output name that stands for the input of the network or of the block being run.</summary>
    private const string InputName = "input";

    /// <summary>Names <paramref name="flow"/> <paramref name="name"/> in <paramref name="scope"/> from here on.</summary>
    private void NameOutput(Scope scope, string name, Flow flow)
    {
        scope.SetTensor(name, Value.TensorRef(name, _outputs.Count));
        _outputs.Add(flow);
        // The last name given is the outermost (a block's key first, then the key or output= where the block is called).
        if (name != InputName) _model.OutputNames[flow.Var] = name;
    }

    /// <summary>The output an argument names, or null after a located report (null too, silently, when the name is fine but its shape was lost to an earlier error).</summary>
    private Flow? ReadOutput(Expr expr, Entry entry, Scope scope, string role) =>
        ReadOutputRef(expr, entry, scope, role) is { } tensor ? _outputs[(int)tensor.Int] : null;

    /// <summary>The <see cref="ValueKind.Tensor"/> value an argument names, or null after a located report.</summary>
    private Value? ReadOutputRef(Expr expr, Entry entry, Scope scope, string role)
    {
        var span = entry.SpanOf(expr);
        if (expr is not NameExpr name)
        {
            Report(DiagnosticCatalog.UnknownOutput, span, $"{role}: must name an earlier output (a key written before this entry, or '{InputName}'), not an expression");
            return null;
        }
        var value = scope.LookupTensorFirst(name.Name);
        if (value is { Kind: ValueKind.Tensor })
            return value;
        var visible = scope.TensorNames.Distinct().ToList();
        var known = visible.Count == 0 ? "" : $" (outputs here: {string.Join(", ", visible)})";
        var message = value is not null
            ? $"{role}: '{name.Name}' is {value.KindName} ({value}), not an output; name a key written before this entry{known}"
            : scope.IsPending(name.Name)
                ? $"{role}: '{name.Name}' is written after this entry; an entry reads only outputs made before it{known}"
                : $"{role}: '{name.Name}' is not an output here{Suggestions.DidYouMean(name.Name, visible)}{(Suggestions.Closest(name.Name, visible) is null ? known : "")}" +
                  (_instantiations.Count > 0 ? "; a block sees its own keys and 'input', and outputs passed to it as arguments" : "");
        Report(DiagnosticCatalog.UnknownOutput, span, message);
        return null;
    }

    /// <summary>
    /// The flow an entry starts from: <paramref name="flow"/>, or the output its <c>from=</c> names (null after a report).
    /// </summary>
    private Flow? StartOf(Entry entry, Flow flow, Scope scope)
    {
        if (entry.From is null) return flow;
        var named = ReadOutput(entry.From.Value, entry, scope, "from=");
        return named;
    }

    /// <summary>An entry's call without its <c>from=</c> and <c>output=</c> arguments, and those; every layer, block and join takes them.</summary>
    private static (CallExpr Call, NamedArgument? From, NamedArgument? Output) SplitFromAndOutput(CallExpr call)
    {
        var from = call.Named.FirstOrDefault(argument => argument.Name == "from");
        var output = call.Named.FirstOrDefault(argument => argument.Name == "output");
        if (from is null && output is null) return (call, null, null);
        return (call with { Named = call.Named.Where(argument => argument != from && argument != output).ToList() }, from, output);
    }

    /// <summary>
    /// <c>output=name</c> on a list item: names its output (after all its repetitions) in the enclosing scope, as a
    /// mapping's key would. An entry under a key already has its name; 'input' and a name already in use are refused.
    /// </summary>
    private void NameEntryOutput(Entry entry, NamedArgument output, string? key, Flow flow, Scope scope)
    {
        var span = entry.SpanOf(output.Value);
        if (output.Value is not NameExpr { Name: var name })
        {
            Report(DiagnosticCatalog.UnknownOutput, span, "output=: takes the name the output gets, e.g. 'output=low'");
            return;
        }
        if (key is not null)
        {
            Report(DiagnosticCatalog.UnknownOutput, span, $"output=: this entry's key '{key}' already names its output; output= names a list item's");
            return;
        }
        if (name == InputName || !Identifiers.IsStateDictName(name))
        {
            Report(DiagnosticCatalog.UnknownOutput, span, $"output=: '{name}' cannot name an output ({(name == InputName ? $"'{InputName}' is the network's or block's input" : "use letters, digits and '_'")})");
            return;
        }
        if (scope.LookupTensor(name) is not null || scope.IsPending(name))
        {
            Report(DiagnosticCatalog.UnknownOutput, span, $"output=: '{name}' already names {(scope.IsPending(name) ? "a later entry's output (its key)" : "an earlier output")} here; choose another name");
            return;
        }
        NameOutput(scope, name, flow);
    }
}
