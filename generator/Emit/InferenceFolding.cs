using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Analysis;

namespace CnnGen.Generator.Emit;

/// <summary>
/// The inference form of a network: batch norm folded into the convolution before it, where the
/// convolution's output feeds only that batch norm (the generator sees every such pair), and
/// channels-last weights and input. Writes <c>ToInference()</c>; the forward pass then skips the
/// folded batch norms.
/// </summary>
internal static class InferenceFolding
{
    /// <summary>Indices of batch-norm steps folded into the convolution step that feeds them, with that step.</summary>
    public static Dictionary<int, int> FoldedBatchNorms(NetworkModel model)
    {
        var steps = model.Steps;
        var uses = steps.SelectMany(step => step.Inputs).GroupBy(input => input).ToDictionary(g => g.Key, g => g.Count());
        var producer = new Dictionary<TensorVar, int>();
        for (var i = 0; i < steps.Count; i++) producer[steps[i].Output] = i;
        var folded = new Dictionary<int, int>();
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            if (step.Kind != "bn" || step.Field is null) continue;
            var input = step.Inputs[0];
            if (!producer.TryGetValue(input, out var convIndex) || uses[input] != 1) continue;
            var conv = steps[convIndex];
            if (conv.Kind is "conv" or "dwconv" && conv.Field is not null && conv.Aux == step.Aux)
                folded[i] = convIndex;
        }
        return folded;
    }

    public static void WriteToInference(SourceWriter writer, NetworkModel model)
    {
        var folded = FoldedBatchNorms(model);
        var hasConvolutions = model.Steps.Any(step => step.Kind is "conv" or "dwconv" && step.Field is not null);
        writer.Line("private bool _inference;");
        writer.Line();
        writer.Line("/// <summary>");
        writer.Line($"/// Turns this network into its inference form, in place: eval mode, {folded.Count} batch norms folded into the");
        writer.Line("/// convolutions before them, convolution weights and the input in channels-last layout. Outputs equal the");
        writer.Line("/// eval-mode network's within float rounding. The network cannot be trained afterwards.");
        writer.Line("/// </summary>");
        writer.Open($"public {model.ClassName} ToInference()");
        writer.Line("if (_inference) return this;");
        writer.Line("eval();");
        writer.Open("using (no_grad())");
        // One call with the pairs and one loop over the convolutions rather than a statement each:
        // the same work in a third of the tokens the compiler parses (see LayerTableText).
        if (folded.Count > 0)
        {
            writer.Line("Inference.FoldBatchNorms(");
            writer.Indent();
            var pairs = folded.OrderBy(pair => pair.Key).ToList();
            for (var i = 0; i < pairs.Count; i++)
                writer.Line($"({model.Steps[pairs[i].Value].Field}, {model.Steps[pairs[i].Key].Field}){(i == pairs.Count - 1 ? ");" : ",")}");
            writer.Outdent();
        }
        if (hasConvolutions) writer.Line("Inference.ConvolutionsToChannelsLast(this);");
        writer.Close();
        writer.Line("_inference = true;");
        writer.Line("return this;");
        writer.Close();
        writer.Line();
        writer.Line("void IGeneratedNetwork.ConvertToInference() => ToInference();");
        writer.Line();
    }

    /// <summary>The first lines of the forward pass in the inference form.</summary>
    public static void WriteForwardPrologue(SourceWriter writer)
    {
        writer.Line("if (_inference && training) throw new System.InvalidOperationException(\"This network was turned into its inference form (ToInference) and cannot train.\");");
        writer.Line("using var channelsLast = _inference ? Inference.ChannelsLast(input) : null;");
        writer.Line("if (channelsLast is not null) input = channelsLast;");
    }
}
