using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// <c>concat: [branch, branch, ...]</c>: parallel branches from the same input, concatenated on
/// channels (Inception). A branch written as a mapping adds its layers to the enclosing group, as
/// torchvision's Inception blocks hold <c>branch1x1</c>, <c>branch5x5_1</c>, <c>branch5x5_2</c> side by side.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    private Flow RunConcat(YamlScalar key, YamlNodeSyntax node, Flow flow, Group group, Scope scope)
    {
        if (node is not YamlSequence branches || branches.Items.Count < 2)
        {
            Report(DiagnosticCatalog.InvalidValue, node.Span, "concat", "needs a list of at least two branches, each a layer, a list or a mapping of layers");
            return flow with { Shape = null };
        }
        var outputs = branches.Items.Select(branch => (RunBranch(branch, flow, group, scope), branch)).ToList();
        return JoinBranches(key, outputs, group, "concat", "branch", $"{(group.Path.Length == 0 ? "concat" : group.Path)}: concat of {outputs.Count} branches");
    }

    /// <summary>
    /// One branch of a concat or a split from <paramref name="flow"/>: a layer entry, a mapping of layers (they join the
    /// enclosing group, as Inception's branch1x1 and branch5x5_1), or a list of layers, which becomes the group's next
    /// indexed child (<c>convs.0.0</c>, <c>convs.0.1</c>): torchvision's ModuleList of Sequentials, as in DeepLabV3's ASPP.
    /// </summary>
    private Flow RunBranch(YamlNodeSyntax branch, Flow flow, Group group, Scope scope) => branch switch
    {
        // The input itself, unchanged: C2f's cat(y1, m0(y1)) is concat: [identity, {m: [...]}].
        YamlScalar { Text: "identity" } => flow,
        YamlScalar entry => RunEntry(entry, flow, group, name: null, scope, anonymous: true),
        YamlSequence => RunNode(branch, flow, group.AddGroup(group.NextIndex(), branch.Span), scope),
        _ => RunNode(branch, flow, group, scope),
    };

    /// <summary>
    /// Concatenates the branches' outputs on channels (a concat's or a split's): each must be a feature map of the
    /// same height and width; otherwise a diagnostic at <paramref name="key"/> or at the first branch that differs.
    /// </summary>
    private Flow JoinBranches(YamlScalar key, List<(Flow Flow, YamlNodeSyntax Branch)> outputs, Group group, string construct, string branchWord, string comment)
    {
        if (outputs.Any(output => output.Flow.Shape is null)) return new Flow(outputs[0].Flow.Var, null);

        var shapes = outputs.Select(output => output.Flow.Shape!).ToList();
        if (shapes.Any(shape => !shape.IsMap))
        {
            Report(DiagnosticCatalog.ShapeMismatch, key.Span, Where(group), construct, string.Join(" and ", shapes), $"feature maps in every {branchWord}");
            return new Flow(outputs[0].Flow.Var, null);
        }
        var first = shapes[0];
        var odd = shapes.FindIndex(shape => shape.Height != first.Height || shape.Width != first.Width);
        if (odd > 0)
        {
            var sizes = string.Join(", ", shapes.Select(shape => $"{shape.Height}x{shape.Width}"));
            var smaller = shapes[odd].Height < first.Height ? odd : 0;
            Report(DiagnosticCatalog.ConcatShapes, outputs[odd].Branch.Span, Where(group), sizes,
                $"{branchWord} {smaller + 1} is smaller: a stride-2 layer, or missing padding?");
            return new Flow(outputs[0].Flow.Var, null);
        }
        return Concatenate(outputs.Select(o => o.Flow).ToList(), group.Path, comment, key.Span);
    }

    private static string Where(Group group) => group.Path.Length == 0 ? "the network" : $"'{group.Path}'";

    private readonly Dictionary<string, DerivedValue> _derivedByExpression = new();

    /// <summary>
    /// Channels that depend on model arguments, named by a constructor local when the expression is more
    /// than a name (see <see cref="DerivedValue"/>); the same expression is named once. Constants pass through.
    /// Only channel counts come here, and only module constructors use those, never forward.
    /// </summary>
    private Value Derive(Value value, string description)
    {
        if (value.Dynamic is not { } expression || Identifiers.IsName(expression) || value.Kind != ValueKind.Int)
            return value;
        if (!_derivedByExpression.TryGetValue(expression, out var derived))
        {
            // Model arguments become camelCase parameters without underscores, so 'channels_N' never meets one.
            derived = new DerivedValue($"channels_{_model.DerivedValues.Count + 1}", "int", value.Symbolic!, description);
            _model.DerivedValues.Add(derived);
            _derivedByExpression.Add(expression, derived);
        }
        return value.WithSymbolic(new DerivedRef(derived.Name));
    }

    private static Value Add(Value a, Value b) =>
        Evaluator.Dynamic(Value.Of(checked(a.Int + b.Int)), new BinaryOp("+", a.AsExpr(), b.AsExpr()), a, b);
}
