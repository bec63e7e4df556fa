using System;
using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// <c>outputs: [p2, p3, p4, p5, pool]</c>: what the network returns, by name, when it is not (only) the last entry's
/// output. One name picks that output; several make the class return a typed record with one tensor per name, in
/// order (torchvision's FPN returns its five maps as a dict, YOLOv8's head three maps as a list).
/// </summary>
public sealed partial class NetworkAnalyzer
{
    /// <summary>Names a record property cannot take: its type's name and the members every record or IDisposable has.</summary>
    private static readonly HashSet<string> ReservedOutputProperties = new(StringComparer.Ordinal)
    {
        "Outputs", "Dispose", "Equals", "GetHashCode", "ToString", "GetType", "Deconstruct", "EqualityContract", "Count", "Names", "Item",
    };

    /// <summary>Reads <c>outputs:</c> once the layers ran: the network's result (null when the file has none, or after a report).</summary>
    private Flow? ReadNetworkOutputs(Flow last)
    {
        if (_document.Outputs is not { } names) return last;
        var read = new List<(Syntax.YamlScalar Name, Flow Flow)>();
        var properties = new Dictionary<string, string>(StringComparer.Ordinal);
        var failed = false;
        foreach (var (name, reference) in names)
        {
            var target = reference.Text.Trim();
            var value = _networkScope.LookupTensor(target);
            if (value is null || target == InputName)
            {
                var visible = _networkScope.TensorNames.Where(known => known != InputName).Distinct().ToList();
                Report(DiagnosticCatalog.UnknownOutput, reference.Span, target == InputName
                    ? "outputs: 'input' is the network's input, not an output of its layers"
                    : $"outputs: no layer output is named '{target}'{Suggestions.DidYouMean(target, visible)}; name one with a key or a list item's output=, and one inside a nested mapping by its path (fpn.p2)" +
                      (Suggestions.Closest(target, visible) is null && visible.Count > 0 ? $" (outputs: {string.Join(", ", visible)})" : ""));
                failed = true;
                continue;
            }
            var text = name.Text.Trim();
            if (!Identifiers.IsStateDictName(text))
            {
                var segment = text.Substring(text.LastIndexOf('.') + 1);
                Report(DiagnosticCatalog.InvalidValue, name.Span, "outputs", $"'{text}' cannot name a returned output (letters, digits and '_')" +
                    (name == reference ? $"; give an output inside a nested mapping a name of its own: 'outputs: {{ {segment}: {text}, ... }}'" : ""));
                failed = true;
                continue;
            }
            var property = Identifiers.Pascal(text);
            if (read.Any(earlier => earlier.Name.Text.Trim() == text))
            {
                Report(DiagnosticCatalog.InvalidValue, name.Span, "outputs", $"'{text}' is listed twice; each output is returned once");
                failed = true;
                continue;
            }
            if (properties.TryGetValue(property, out var other))
            {
                Report(DiagnosticCatalog.InvalidValue, name.Span, "outputs", $"'{text}' and '{other}' would both be the record's property '{property}'; rename one");
                failed = true;
                continue;
            }
            if (names.Count > 1 && (ReservedOutputProperties.Contains(property) || property == _model.ClassName))
            {
                Report(DiagnosticCatalog.InvalidValue, name.Span, "outputs", $"'{text}' would be the record's property '{property}', a name the record already has; rename the output");
                failed = true;
                continue;
            }
            properties[property] = text;
            read.Add((name, _outputs[(int)value.Int]));
        }
        if (failed) return null;
        if (read.Count > 1 && _document.Head is { } head)
        {
            Report(DiagnosticCatalog.InvalidValue, head.Span, "head", "a network that returns several outputs has no single classifier head; leave 'head' out");
            return null;
        }
        if (read.Count > 1 && _document.Aux is { } aux)
        {
            Report(DiagnosticCatalog.InvalidValue, aux.Span, "aux", "a network that returns several outputs lists each in 'outputs' (read an aux head's input with from=) instead of declaring aux heads");
            return null;
        }
        var seen = new HashSet<TensorVar>();
        foreach (var (name, flow) in read)
        {
            if (!seen.Add(flow.Var))
            {
                Report(DiagnosticCatalog.InvalidValue, name.Span, "outputs", $"'{name.Text.Trim()}' is the same tensor as an output listed before it; list it once");
                return null;
            }
            if (flow.Shape is null) return null;
            if (flow.Var.IsInput || flow.Var.AliasesInput)
            {
                Report(DiagnosticCatalog.InvalidValue, name.Span, "outputs", $"'{name.Text.Trim()}' is the network's input itself; return a layer's output");
                return null;
            }
        }
        if (read.Count > 1)
            foreach (var (name, flow) in read)
                _model.NamedOutputs.Add(new NamedOutput(name.Text.Trim(), Identifiers.Pascal(name.Text.Trim()), flow.Var, flow.Shape!));
        return read[0].Flow;
    }
}
