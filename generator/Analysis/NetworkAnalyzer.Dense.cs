using System;
using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// <c>dense: 6x dense_layer(32) as denselayer{i+1}</c>: dense connectivity (DenseNet). Each
/// repetition sees the concatenation of the block input and every earlier repetition's output; the
/// block outputs the concatenation of all of them, so its channels grow by the growth rate per layer.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    private Flow RunDense(YamlScalar key, YamlNodeSyntax node, Flow flow, Group group, Scope scope)
    {
        if (node is not YamlScalar scalar)
        {
            Report(DiagnosticCatalog.InvalidValue, node.Span, "dense", "must be a repetition such as '6x dense_layer(32) as denselayer{i+1}'");
            return flow with { Shape = null };
        }
        var entry = ParseEntry(scalar);
        if (entry is null || !Resolve(entry, key.Text, anonymous: false)) return flow with { Shape = null };
        if (entry.Count is null)
        {
            Report(DiagnosticCatalog.InvalidValue, scalar.Span, "dense", "needs a repetition count, e.g. '6x dense_layer(32)'");
            return flow with { Shape = null };
        }
        var count = EvaluateCount(entry, scope);
        if (count is null) return flow with { Shape = null };

        var features = new List<Flow> { flow };
        var buffer = $"dense{_model.DenseBuffers.Count + 1}";
        // The channels seen so far, added up one layer at a time, so each sum names the previous one.
        var channels = flow.Shape?.Channels; // unknown after an earlier error: the first layer still reports its own
        for (var i = 0; i < count; i++)
        {
            var childName = RepetitionName(entry, i, scope);
            if (childName is null) return flow with { Shape = null };
            var input = features.Count == 1 ? features[0] : Concatenate(features, group.Path, $"{Where(group).Trim('\'')}: dense input of layer {i + 1}", key.Span, channels, buffer);
            channels = input.Shape?.Channels ?? channels;
            var output = RunInstance(entry, i, input, group, childName, scope, anonymous: false);
            if (output.Shape is null) return output;
            var inputShape = flow.Shape!;
            if (!output.Shape.IsMap || output.Shape.Height != inputShape.Height || output.Shape.Width != inputShape.Width)
            {
                Report(DiagnosticCatalog.ConcatShapes, scalar.Span, Where(group), $"{inputShape.Height}x{inputShape.Width} and {output.Shape}",
                    "a dense layer must keep the height and width of its input");
                return output with { Shape = null };
            }
            features.Add(output);
            channels = Add(channels!, output.Shape.Channels);
        }
        var blockOutput = Concatenate(features, group.Path, $"{Where(group).Trim('\'')}: dense output", key.Span, channels, buffer);
        _model.DenseBuffers.Add(new DenseBuffer(buffer, blockOutput.Shape!.Channels.ToCSharp()));
        return blockOutput;
    }

    /// <summary>A forward step concatenating feature maps of equal size on channels.</summary>
    /// <param name="parts">The feature maps, in order.</param>
    /// <param name="comment">What the step is, for the generated code and the layer table.</param>
    /// <param name="channels">Their channels added up, when the caller has the sum already.</param>
    /// <param name="buffer">The dense block's <c>DenseConcat</c> local, which concatenates without copying
    /// everything again when autograd is off; null for <c>torch.cat</c>.</param>
    /// <param name="site">The <c>concat</c>, <c>split</c> or <c>dense</c> key the join was written at.</param>
    /// <param name="join">The join's module path for a size constraint, when not the comment's start.</param>
    private Flow Concatenate(IReadOnlyList<Flow> parts, string path, string comment, Model.SourceSpan site, Value? channels = null, string? buffer = null, string? join = null)
    {
        var first = parts[0].Shape!;
        channels = Derive(channels ?? parts.Select(part => part.Shape!.Channels).Aggregate((a, b) => Add(a, b)), comment);
        var where = join ?? (comment.IndexOf(": ", StringComparison.Ordinal) is var colon and > 0 ? comment.Substring(0, colon) : path);
        var shape = Joined(Shape.Map(channels, first.Height, first.Width), parts.Select(part => part.Shape!), where, site);
        var output = NewVar();
        var placeholders = string.Join(", ", Enumerable.Range(0, parts.Count).Select(i => "{" + i + "}"));
        var template = buffer is null ? $"cat(new[] {{{{ {placeholders} }}}}, 1)" : $"{buffer}.Concat({placeholders})";
        // A view of the block buffer: nothing may run in place on it.
        output.IsAlias = buffer is not null;
        _model.Steps.Add(new ForwardStep(output, parts.Select(part => part.Var).ToList(), template, null, $"{comment} -> {shape}")
            { Path = path, OutputShape = shape, Operation = new Graph.ConcatOp(), Site = site, Blocks = BlockFrames() });
        return new Flow(output, shape);
    }
}
