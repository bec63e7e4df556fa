using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// The structure of the DSL: a list is a sequence of indexed children (torchvision's nn.Sequential:
/// <c>features.0</c>, <c>features.1</c> ...), a mapping a sequence of named children (<c>conv1</c>,
/// <c>layer1</c>), and a <c>residual:</c> entry adds its body to a shortcut.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    /// <summary>Runs a node's children into <paramref name="group"/> (a list's items take the group's next indices).</summary>
    private Flow RunNode(YamlNodeSyntax node, Flow flow, Group group, Scope scope) => node switch
    {
        YamlSequence sequence => RunSequence(sequence, flow, group, scope),
        YamlMapping mapping => RunMapping(mapping, flow, group, scope),
        YamlScalar scalar => RunEntry(scalar, flow, group, name: null, scope),
        _ => flow,
    };

    private Flow RunSequence(YamlSequence sequence, Flow flow, Group group, Scope scope)
    {
        foreach (var item in sequence.Items)
        {
            var index = group.Node.NextIndex;
            flow = item switch
            {
                YamlScalar scalar => RunEntry(scalar, flow, group, name: null, scope),
                _ => RunNode(item, flow, group.AddGroup(group.NextIndex(), item.Span), scope),
            };
            if (group.Node == _model.Root) AfterTopLevel(index.ToString(System.Globalization.CultureInfo.InvariantCulture), flow, group);
        }
        return flow;
    }

    private Flow RunMapping(YamlMapping mapping, Flow flow, Group group, Scope outer)
    {
        // The keys name their entries' outputs for the entries after them (NetworkAnalyzer.Outputs); after a nested
        // mapping they are read by path (body.layer1), after the network's own by name (its 'outputs:' reads them).
        var scope = new Scope(outer);
        foreach (var entry in mapping.Entries)
            if (Identifiers.IsStateDictName(entry.Key.Text) && entry.Key.Text != RegisterOrder) scope.SetPending(entry.Key.Text);
        var firstChild = group.Node.Children.Count;
        YamlNodeSyntax? order = null;
        foreach (var entry in mapping.Entries)
        {
            if (entry.Key.Text == RegisterOrder)
            {
                order = entry.Value;
                continue;
            }
            flow = RunMappingEntry(entry, flow, group, scope);
            if (Identifiers.IsStateDictName(entry.Key.Text) && !Keywords.Contains(entry.Key.Text)) NameOutput(scope, entry.Key.Text, flow);
        }
        if (order is not null) Reorder(order, group, firstChild);
        if (group.Node == _model.Root && outer == _networkScope) scope.ExportTensors(outer, prefix: null);
        else if (Identifiers.IsName(group.Node.Name)) scope.ExportTensors(outer, group.Node.Name);
        else if (IndexedPrefix(group.Path) is { } prefix) scope.ExportTensors(outer, prefix);
        return flow;
    }

    /// <summary>
    /// The name a mapping that is a list item exports its outputs under: the list's key and the indices
    /// (<c>model.22</c>, so YOLOv8's Detect head, <c>model.22</c>, exports <c>model.22.p3</c>); a list shares the scope
    /// of the mapping that holds it, and that mapping adds its own key when it exports in turn.
    /// </summary>
    private static string? IndexedPrefix(string path)
    {
        var segments = path.Split('.');
        var first = segments.Length - 1;
        while (first >= 0 && segments[first].Length > 0 && segments[first].All(char.IsDigit)) first--;
        if (first == segments.Length - 1 || first < 0 || !Identifiers.IsName(segments[first])) return null;
        return string.Join(".", segments, first, segments.Length - first);
    }

    /// <summary>
    /// <c>register_order: [cv1, cv2, m]</c>: the modules this mapping made, registered in that order instead of the
    /// forward order (Ultralytics' C2f builds cv1, cv2, then m, and runs m before cv2). The names listed take the places
    /// the listed modules held, in the order given; the others stay where they are.
    /// </summary>
    private const string RegisterOrder = "register_order";

    private void Reorder(YamlNodeSyntax order, Group group, int firstChild)
    {
        var children = group.Node.Children;
        var mine = children.Skip(firstChild).ToList();
        if (order is not YamlSequence list || list.Items.Any(item => item is not YamlScalar))
        {
            Report(DiagnosticCatalog.InvalidValue, order.Span, RegisterOrder, "lists the modules of this mapping by name, in the order to register them: 'register_order: [cv1, cv2, m]'");
            return;
        }
        var moved = new List<ModuleNode>();
        foreach (YamlScalar item in list.Items)
        {
            var child = mine.FirstOrDefault(node => node.Name == item.Text);
            if (child is null)
            {
                var names = mine.Select(node => node.Name).ToList();
                Report(DiagnosticCatalog.InvalidValue, item.Span, item.Text,
                    $"is not a module of this mapping ({(names.Count == 0 ? "it has none" : string.Join(", ", names))}){Suggestions.DidYouMean(item.Text, names)}");
                return;
            }
            if (moved.Contains(child))
            {
                Report(DiagnosticCatalog.InvalidValue, item.Span, item.Text, $"is listed twice in {RegisterOrder}");
                return;
            }
            moved.Add(child);
        }
        var places = moved.Select(child => children.IndexOf(child)).OrderBy(index => index).ToList();
        for (var i = 0; i < places.Count; i++) children[places[i]] = moved[i];
    }

    /// <summary>The keys that are constructs, not names: their outputs are not named by them.</summary>
    private static readonly string[] Keywords = { "residual", "concat", "dense", "gate", "split" };

    private Flow RunMappingEntry(KeyValuePair<YamlScalar, YamlNodeSyntax> entry, Flow flow, Group group, Scope scope)
    {
        var key = entry.Key;
        if (key.Text == "residual")
            return RunResidual(key, entry.Value, flow, group, scope);
        if (key.Text == "concat")
            return RunConcat(key, entry.Value, flow, group, scope);
        if (key.Text == "dense")
            return RunDense(key, entry.Value, flow, group, scope);
        if (key.Text == "gate")
            return RunGate(key, entry.Value, flow, group, scope);
        if (key.Text == "split")
            return RunSplit(key, entry.Value, flow, group, scope);
        if (key.Text.IndexOf('{') >= 0 && entry.Value is YamlScalar repeated)
        {
            // 'block{i+4}: 8x middle': the repetitions join this mapping, named by the key.
            return RunEntry(repeated, flow, group, null, scope, namePattern: key.Text);
        }
        if (!Identifiers.IsStateDictName(key.Text))
        {
            Report(DiagnosticCatalog.InvalidValue, key.Span, key.Text,
                "is not a valid layer name: use letters, digits, '_' and '-', starting with a letter or '_' (names become state-dict keys such as 'layer1.0.conv1' or RegNet's 'block1-0')");
            return flow with { Shape = null };
        }
        flow = entry.Value switch
        {
            YamlScalar scalar => RunEntry(scalar, flow, group, key.Text, scope),
            _ => RunNode(entry.Value, flow, group.AddGroup(key.Text, key.Span), scope),
        };
        if (group.Node == _model.Root) AfterTopLevel(key.Text, flow, group);
        else AfterNested(group.ChildPath(key.Text), flow);
        return flow;
    }

    private Expressions.Value? ReadScale(YamlMapping spec, Scope scope)
    {
        if (spec.Get("scale") is not { } node) return Expressions.Value.Of(1.0);
        if (node is YamlScalar scalar)
        {
            try
            {
                var value = Expressions.Evaluator.Evaluate(Expressions.ExpressionParser.Parse(scalar.Text), name => scope.Lookup(name));
                if (value.IsNumber && !value.IsDynamic) return value;
            }
            catch (Expressions.ExpressionException error)
            {
                Report(DiagnosticCatalog.ExpressionError, scalar.SpanOf(error.Start, error.End), $"Residual scale: {error.Message}");
                return null;
            }
        }
        Report(DiagnosticCatalog.InvalidValue, node.Span, "scale", "must be a number fixed at compile time, e.g. 'scale: 0.17'");
        return null;
    }

    private static readonly string[] ResidualKeys = { "body", "shortcut", "scale", "then" };

    /// <summary>The shortcut that is the identity where the body keeps the shape and absent elsewhere.</summary>
    private const string IdentityIfSame = "identity_if_same";

    /// <summary>
    /// The shortcut is analysed after the body (a projection needs the body's output shape), but a shortcut written
    /// before the body is registered first, as torchvision's RegNet registers <c>proj</c> before <c>f</c>, so the
    /// parameters come in the reference's order.
    /// </summary>
    private static bool ShortcutWrittenFirst(YamlMapping spec)
    {
        var keys = spec.Entries.Select(entry => entry.Key.Text).ToList();
        return keys.IndexOf("shortcut") is var shortcut and >= 0 && shortcut < keys.IndexOf("body");
    }

    /// <summary>Moves the children from <paramref name="from"/> on to just before <paramref name="to"/>.</summary>
    private static void MoveBefore(List<ModuleNode> children, int from, int to)
    {
        var moved = children.GetRange(from, children.Count - from);
        children.RemoveRange(from, moved.Count);
        children.InsertRange(to, moved);
    }

    /// <summary>
    /// <c>residual: { body, shortcut, then }</c>: output = then(body(x) + shortcut(x)). The body's layers
    /// become children of the enclosing group, as in torchvision's BasicBlock and Bottleneck.
    /// </summary>
    private Flow RunResidual(YamlScalar key, YamlNodeSyntax node, Flow flow, Group group, Scope scope)
    {
        if (node is not YamlMapping spec || spec.Get("body") is not { } body)
        {
            Report(DiagnosticCatalog.InvalidValue, node.Span, "residual", "needs a mapping with 'body' (the layers), and optionally 'shortcut' (identity, auto, projection, identity_if_same) and 'then' (e.g. relu)");
            return flow with { Shape = null };
        }
        foreach (var entry in spec.Entries.Where(entry => !ResidualKeys.Contains(entry.Key.Text)))
            Report(DiagnosticCatalog.UnknownKey, entry.Key.Span, entry.Key.Text, "'residual'", Suggestions.DidYouMean(entry.Key.Text, ResidualKeys));

        var input = flow;
        var bodyStart = group.Node.Children.Count;
        var bodyFlow = RunNode(body, input, group, scope);
        var shortcutStart = group.Node.Children.Count;
        if (spec.Get("shortcut") is YamlScalar { Text: { } conditional } && conditional.Trim() == IdentityIfSame)
        {
            // torchvision's use_res_connect (MobileNet v2/v3, EfficientNet): the identity is added where the body
            // keeps the input's shape; elsewhere the block is its body alone, with no module of its own for the shortcut.
            if (input.Shape is null || bodyFlow.Shape is null) return new Flow(bodyFlow.Var, null);
            if (!input.Shape.SameAs(bodyFlow.Shape)) return Then(spec, bodyFlow, group, scope);
        }
        var shortcutFlow = RunShortcut(spec.Get("shortcut"), input, bodyFlow, group, scope);
        if (ShortcutWrittenFirst(spec)) MoveBefore(group.Node.Children, shortcutStart, bodyStart);
        if (bodyFlow.Shape is null || shortcutFlow is null || shortcutFlow.Shape is null)
            return new Flow(bodyFlow.Var, null);

        if (!bodyFlow.Shape.SameAs(shortcutFlow.Shape))
        {
            var hint = bodyFlow.Shape.Channels.Int != shortcutFlow.Shape.Channels.Int
                ? "; use 'shortcut: auto' for a 1x1 projection"
                : "; the body changes the spatial size, so the shortcut needs the same stride";
            Report(DiagnosticCatalog.ResidualShapes, (spec.KeyOf("shortcut") ?? key).Span, group.Path.Length == 0 ? "the network" : $"'{group.Path}'",
                bodyFlow.Shape, shortcutFlow.Shape, spec.Get("shortcut") is null ? hint : "");
            return new Flow(bodyFlow.Var, null);
        }

        var scale = ReadScale(spec, scope);
        if (scale is null) return new Flow(bodyFlow.Var, null);
        var sum = NewVar();
        var where = group.Path.Length == 0 ? "residual" : group.Path;
        // Inception-ResNet scales the residual before adding it: out = shortcut + scale * body.
        _model.Steps.Add(scale.AsDouble == 1.0
            ? new ForwardStep(sum, new[] { bodyFlow.Var, shortcutFlow.Var }, "Forward.Add({0}, {1})", "Forward.Add_({0}, {1})", $"{where}: body + shortcut -> {bodyFlow.Shape}")
                { Path = group.Path, OutputShape = bodyFlow.Shape, Operation = new Graph.AddOp(1.0) { Residual = true }, Site = key.Span, Blocks = BlockFrames() }
            : new ForwardStep(sum, new[] { bodyFlow.Var, shortcutFlow.Var }, $"Forward.ScaleAdd({{0}}, {Value.FormatDouble(scale.AsDouble)}, {{1}})", $"Forward.ScaleAdd_({{0}}, {Value.FormatDouble(scale.AsDouble)}, {{1}})",
                $"{where}: shortcut + {scale} * body -> {bodyFlow.Shape}")
                { Path = group.Path, OutputShape = bodyFlow.Shape, Operation = new Graph.AddOp(scale.AsDouble) { Residual = true }, Site = key.Span, Blocks = BlockFrames() });
        return Then(spec, new Flow(sum, Joined(bodyFlow.Shape, new[] { bodyFlow.Shape, shortcutFlow.Shape }, where, key.Span)), group, scope);
    }

    /// <summary>The residual's <c>then:</c> layer (a ReLU after the sum), if it has one.</summary>
    private Flow Then(YamlMapping spec, Flow result, Group group, Scope scope)
    {
        if (spec.Get("then") is not { } then) return result;
        if (then is YamlScalar thenEntry) return RunEntry(thenEntry, result, group, name: null, scope, anonymous: true);
        Report(DiagnosticCatalog.InvalidValue, then.Span, "then", "must be one layer, e.g. 'then: relu'");
        return result;
    }
}
