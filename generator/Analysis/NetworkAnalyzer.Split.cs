using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// <c>split: [part, part, ...]</c>: the channels divided into equal parts (torch's <c>x.chunk(n, dim=1)</c>), each
/// part through its own branch, the results concatenated on channels again. A part written <c>identity</c>
/// passes through unchanged: ShuffleNetV2's <c>cat((x1, branch2(x2)), 1)</c> is <c>split: [identity, {branch2: [...]}]</c>.
/// Branches join the enclosing group as <c>concat</c>'s do.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    private Flow RunSplit(YamlScalar key, YamlNodeSyntax node, Flow flow, Group group, Scope scope)
    {
        if (node is not YamlSequence parts || parts.Items.Count < 2)
        {
            Report(DiagnosticCatalog.InvalidValue, node.Span, "split", "needs a list of at least two parts, each 'identity', a layer, a list or a mapping of layers");
            return flow with { Shape = null };
        }
        if (flow.Shape is null) return flow;
        var input = flow.Shape;
        if (!input.IsMap)
        {
            Report(DiagnosticCatalog.ShapeMismatch, key.Span, Where(group), "split", input, "a feature map (C x H x W)");
            return flow with { Shape = null };
        }
        var count = parts.Items.Count;
        if (input.Channels.Int % count != 0)
        {
            Report(DiagnosticCatalog.SplitChannels, key.Span, Where(group), input.Channels.Int, count);
            return flow with { Shape = null };
        }

        var where = group.Path.Length == 0 ? "split" : group.Path;
        var part = Expressions.Evaluator.Dynamic(Expressions.Value.Of(input.Channels.Int / count), new Expressions.BinaryOp("/", input.Channels.AsExpr(), new Expressions.ConstantExpr(Expressions.Value.Of(count))), input.Channels);
        var partShape = input with { Dims = new[] { part, input.Dims[1], input.Dims[2] } };
        var outputs = new List<(Flow Flow, YamlNodeSyntax Branch)>();
        for (var i = 0; i < count; i++)
        {
            // A view of the input's channels: it shares storage, so nothing may run on it in place.
            var view = NewVar();
            view.IsAlias = true;
            view.AliasesInput = flow.Var.IsInput || flow.Var.AliasesInput;
            _model.Steps.Add(new ForwardStep(view, new[] { flow.Var }, $"Forward.Part({{0}}, {i}, {count})", null, $"{where}: part {i + 1} of {count} -> {partShape}") 
                { Path = group.Path, OutputShape = partShape, Operation = new Graph.ChannelSliceOp(i, count), Site = key.Span, Blocks = BlockFrames() });
            var branch = parts.Items[i];
            var partFlow = new Flow(view, partShape);
            outputs.Add((branch is YamlScalar { Text: "identity" } ? partFlow : RunBranch(branch, partFlow, group, scope), branch));
        }
        return JoinBranches(key, outputs, group, "split", "part", $"{where}: concat of {count} parts");
    }
}
