using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// <c>aux:</c> auxiliary heads attached at named layers (GoogLeNet's aux1/aux2, Inception-v3's
/// AuxLogits, deep supervision). Each head is a group of the module tree registered right after the
/// layer it taps, and its forward steps run only when the caller asks for auxiliary outputs in
/// training mode, as torchvision does (or, with <c>in_eval: true</c>, in eval mode too, as torchvision's
/// segmentation models with aux_loss=True).
/// </summary>
public sealed partial class NetworkAnalyzer
{
    private static readonly string[] AuxKeys = { "at", "when", "in_eval", "layers" };

    private sealed record AuxHead(YamlScalar Name, YamlScalar At, YamlNodeSyntax Layers, bool InEval);

    private List<AuxHead> ReadAuxHeads()
    {
        var heads = new List<AuxHead>();
        if (_document.Aux is null) return heads;
        if (_document.Aux is not YamlMapping mapping)
        {
            Report(DiagnosticCatalog.InvalidValue, _document.Aux.Span, "aux", "must map head names to '{ at: layer, layers: ... }'");
            return heads;
        }
        foreach (var entry in mapping.Entries)
        {
            if (!Identifiers.IsName(entry.Key.Text) || entry.Value is not YamlMapping head || head.Get("at") is not YamlScalar at || head.Get("layers") is not { } layers)
            {
                Report(DiagnosticCatalog.InvalidValue, entry.Value.Span, entry.Key.Text, "must be '{ at: <top-level layer name>, layers: <the head's layers>, when: <optional condition> }'");
                continue;
            }
            foreach (var unknown in head.Entries.Where(e => !AuxKeys.Contains(e.Key.Text)))
                Report(DiagnosticCatalog.UnknownKey, unknown.Key.Span, unknown.Key.Text, $"aux head '{entry.Key.Text}'", Suggestions.DidYouMean(unknown.Key.Text, AuxKeys));
            if (head.Get("when") is { } when && !IsEnabled(when)) continue;
            heads.Add(new AuxHead(entry.Key, at, layers, ReadInEval(head)));
        }
        // ForwardWithAux runs every head or none: they agree on when.
        var first = heads.FirstOrDefault();
        foreach (var other in heads.Where(other => first is not null && other.InEval != first.InEval))
            Report(DiagnosticCatalog.InvalidValue, ((YamlMapping)mapping.Get(other.Name.Text)!).KeyOf("in_eval")?.Span ?? other.Name.Span, "in_eval",
                $"the aux heads of one network run in eval mode all or none; '{other.Name.Text}' says {(other.InEval ? "true" : "false")}, '{first!.Name.Text}' {(first.InEval ? "true" : "false")}");
        _model.AuxInEval = first?.InEval ?? false;
        return heads;
    }

    /// <summary>
    /// <c>in_eval: true</c>: the head runs in eval mode too (torchvision's segmentation models with aux_loss=True return
    /// {"out", "aux"} in eval); by default it runs in training only (GoogLeNet's and Inception-v3's heads).
    /// </summary>
    private bool ReadInEval(YamlMapping head)
    {
        if (head.Get("in_eval") is not { } node) return false;
        if (node is YamlScalar { Text: "true" or "false" } scalar) return scalar.Text == "true";
        Report(DiagnosticCatalog.InvalidValue, node.Span, "in_eval", "must be true or false");
        return false;
    }

    /// <summary>A head's <c>when:</c> condition, evaluated at compile time (e.g. a variant's <c>aux_logits</c>).</summary>
    private bool IsEnabled(YamlNodeSyntax when)
    {
        if (when is YamlScalar scalar)
        {
            try
            {
                var value = Evaluator.Evaluate(ExpressionParser.Parse(scalar.Text), name => _globals.Lookup(name));
                if (value.Kind == ValueKind.Bool && !value.IsDynamic) return value.Bool;
            }
            catch (ExpressionException error)
            {
                Report(DiagnosticCatalog.ExpressionError, scalar.SpanOf(error.Start, error.End), $"Aux condition: {error.Message}");
                return false;
            }
        }
        Report(DiagnosticCatalog.Unsupported, when.Span, "An aux head's 'when' must be true or false at compile time (a variant's argument); a constructor argument cannot add or remove modules");
        return false;
    }

    /// <summary>Runs the heads that tap <paramref name="name"/>, right after that top-level layer.</summary>
    private void RunAuxHeads(List<AuxHead> heads, string name, Flow tapped, Group root)
    {
        foreach (var head in heads.Where(h => h.At.Text == name))
        {
            var firstStep = _model.Steps.Count;
            var group = root.AddGroup(head.Name.Text, head.Name.Span);
            // The head sees the network's outputs by name ('input' for torchvision's segmentation heads, which resize to it).
            var output = head.Layers is YamlScalar scalar ? RunHeadBlock(scalar, tapped, group) : RunNode(head.Layers, tapped, group, _networkScope);
            for (var i = firstStep; i < _model.Steps.Count; i++)
                _model.Steps[i] = _model.Steps[i] with { Aux = head.Name.Text };
            if (output.Shape is not null)
                _model.AuxOutputs.Add(new AuxOutput(head.Name.Text, Identifiers.Pascal(head.Name.Text), name, output.Var, output.Shape));
        }
    }

    private List<AuxHead> _auxHeads = new();
    private readonly HashSet<string> _tapped = new();
    private readonly List<string> _topLevelNames = new();

    /// <summary>The module paths of the named children below the top level, where a head may tap too (<c>backbone.layer3</c>).</summary>
    private readonly List<string> _nestedPaths = new();

    /// <summary>
    /// Called after each named child below the top level with its module path: torchvision's segmentation models tap
    /// their backbone's <c>layer3</c> for the aux classifier. The head is a top-level group all the same.
    /// </summary>
    private void AfterNested(string path, Flow flow)
    {
        _nestedPaths.Add(path);
        if (flow.Shape is null || _auxHeads.All(head => head.At.Text != path)) return;
        _tapped.Add(path);
        var before = _model.Root.Children.Count;
        RunAuxHeads(_auxHeads, path, flow, new Group(_model.Root, ""));
        _lateHeads.AddRange(_model.Root.Children.Skip(before));
    }

    /// <summary>Heads that tap below the top level, registered after every top-level layer as torchvision's segmentation models register <c>aux_classifier</c> last.</summary>
    private readonly List<ModuleNode> _lateHeads = new();

    /// <summary>Moves the heads that tap below the top level to the end of the module tree (see <see cref="_lateHeads"/>).</summary>
    private void RegisterLateHeads()
    {
        foreach (var head in _lateHeads)
        {
            _model.Root.Children.Remove(head);
            _model.Root.Children.Add(head);
        }
    }

    /// <summary>Called after each top-level layer of 'layers' with its output.</summary>
    private void AfterTopLevel(string name, Flow flow, Group root)
    {
        _topLevelNames.Add(name);
        if (flow.Shape is null || _auxHeads.All(head => head.At.Text != name)) return;
        _tapped.Add(name);
        RunAuxHeads(_auxHeads, name, flow, root);
    }

    /// <summary><c>layers: aux_head(...)</c>: a block whose layers become the head's own children (aux1.conv, aux1.fc1).</summary>
    private Flow RunHeadBlock(YamlScalar scalar, Flow tapped, Group group)
    {
        var entry = ParseEntry(scalar);
        if (entry is null || !Resolve(entry, group.Node.Name, anonymous: false)) return tapped with { Shape = null };
        if (entry.Count is null && _blocks.TryGetValue(entry.Name, out var block))
            return Instantiate(block, entry, _globals, null, tapped, group, null, hoist: true);
        return RunEntry(scalar, tapped, group, name: null, _networkScope);
    }

    private void CheckAuxTaps()
    {
        foreach (var head in _auxHeads.Where(h => !_tapped.Contains(h.At.Text) && !_topLevelNames.Contains(h.At.Text) && !_nestedPaths.Contains(h.At.Text)))
            Report(DiagnosticCatalog.UnknownLayer, head.At.Span, head.At.Text, Suggestions.DidYouMean(head.At.Text, _topLevelNames.Concat(_nestedPaths)) +
                " (an aux head attaches after a layer of 'layers': a top-level one, or one deeper by its path such as 'backbone.layer3')");
    }
}
