using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Analysis;

namespace CnnGen.Generator.Emit;

/// <summary>
/// The inference form of a network: batch norm folded into the convolution before it, where the
/// convolution's output feeds only that batch norm (the generator sees every such pair); a batch norm
/// and ReLU folded into the 1x1 convolution after them where nothing else reads either output
/// (pre-activation, DenseNet: see the runtime's Inference.FoldPreActivation); channels-last weights and
/// input. Writes <c>ToInference()</c>; the forward pass then skips the folded batch norms and runs one
/// <c>maximum</c> for each folded pre-activation.
/// </summary>
internal static class InferenceFolding
{
    /// <summary>
    /// What the inference form folds, found once per network and used by both <c>ToInference()</c> and the
    /// forward pass. <paramref name="FoldedBatchNorms"/>: batch-norm step -> the convolution step that feeds
    /// only it. <paramref name="PreActivations"/>: batch-norm step (not in the first) whose output feeds only
    /// a ReLU whose output feeds only a pointwise convolution, on the same path -> that ReLU and convolution.
    /// </summary>
    public sealed record Plan(IReadOnlyDictionary<int, int> FoldedBatchNorms, IReadOnlyDictionary<int, (int Relu, int Conv)> PreActivations);

    public static Plan PlanFor(NetworkModel model)
    {
        var steps = model.Steps;
        var consumers = new Dictionary<TensorVar, List<int>>();
        var producer = new Dictionary<TensorVar, int>();
        for (var i = 0; i < steps.Count; i++)
        {
            producer[steps[i].Output] = i;
            foreach (var input in steps[i].Inputs)
                (consumers.TryGetValue(input, out var list) ? list : consumers[input] = new List<int>()).Add(i);
        }

        var folded = new Dictionary<int, int>();
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            if (step.Kind != "bn" || step.Field is null) continue;
            var input = step.Inputs[0];
            if (!producer.TryGetValue(input, out var convIndex) || consumers[input].Count != 1) continue;
            var conv = steps[convIndex];
            if (conv.Kind is "conv" or "dwconv" && conv.Field is not null && conv.Aux == step.Aux)
                folded[i] = convIndex;
        }

        var results = new HashSet<TensorVar>(model.AuxOutputs.Select(head => head.Var)) { model.OutputVar! };
        int? OnlyConsumer(ForwardStep step) =>
            !results.Contains(step.Output) && consumers.TryGetValue(step.Output, out var list) && list.Count == 1 && steps[list[0]].Inputs.Count == 1 && steps[list[0]].Aux == step.Aux
                ? list[0] : null;
        var preActivations = new Dictionary<int, (int, int)>();
        for (var i = 0; i < steps.Count; i++)
        {
            if (steps[i].Kind != "bn" || steps[i].Field is null || folded.ContainsKey(i)) continue;
            if (OnlyConsumer(steps[i]) is not { } relu || steps[relu].Kind != "relu") continue;
            if (OnlyConsumer(steps[relu]) is { } conv && steps[conv] is { Kind: "conv", Pointwise: true, Field: not null })
                preActivations[i] = (relu, conv);
        }
        return new Plan(folded, preActivations);
    }

    public static void WriteToInference(SourceWriter writer, NetworkModel model, Plan plan)
    {
        var (folded, preActivations) = (plan.FoldedBatchNorms, plan.PreActivations);
        var hasConvolutions = model.Steps.Any(step => step.Kind is "conv" or "dwconv" && step.Field is not null);
        writer.Line("private bool _inference;");
        writer.Line();
        writer.Line("/// <summary>");
        writer.Line($"/// Turns this network into its inference form, in place: eval mode, {folded.Count} batch norms folded into the");
        if (preActivations.Count > 0)
            writer.Line($"/// convolutions before them, {preActivations.Count} batch norms with their ReLUs into the 1x1 convolutions after them,");
        else
            writer.Line("/// convolutions before them,");
        writer.Line("/// convolution weights and the input in channels-last layout (where <see cref=\"Inference.ChannelsLastConvolutions\"/> holds).");
        writer.Line("/// Outputs equal the eval-mode network's within");
        writer.Line("/// float rounding. The network cannot be trained afterwards.");
        writer.Line("/// </summary>");
        writer.Open($"public {model.ClassName} ToInference()");
        writer.Line("if (_inference) return this;");
        writer.Line("eval();");
        writer.Open("using (no_grad())");
        // One call with the pairs and one loop over the convolutions rather than a statement each:
        // the same work in a third of the tokens the compiler parses (see GraphTextEmitter).
        WriteFieldPairs(writer, "Inference.FoldBatchNorms", folded.OrderBy(pair => pair.Key).Select(pair => (model.Steps[pair.Value].Field!, model.Steps[pair.Key].Field!)).ToList());
        // After the folds above: a convolution that has both folds takes the pre-activation on the weights
        // that already hold the batch norm after it.
        WriteFieldPairs(writer, "Inference.FoldPreActivations", preActivations.OrderBy(pair => pair.Key).Select(pair => (model.Steps[pair.Key].Field!, model.Steps[pair.Value.Conv].Field!)).ToList());
        if (hasConvolutions) writer.Line("if (Inference.ChannelsLastConvolutions) Inference.ConvolutionsToChannelsLast(this);");
        writer.Close();
        writer.Line("_inference = true;");
        writer.Line("return this;");
        writer.Close();
        writer.Line();
        writer.Line("void IGeneratedNetwork.ConvertToInference() => ToInference();");
        writer.Line();
    }

    /// <summary><c>method((a1, b1), (a2, b2), ...);</c> with a pair of module fields a line; nothing for no pairs.</summary>
    private static void WriteFieldPairs(SourceWriter writer, string method, IReadOnlyList<(string First, string Second)> pairs)
    {
        if (pairs.Count == 0) return;
        writer.Line(method + "(");
        writer.Indent();
        for (var i = 0; i < pairs.Count; i++)
            writer.Line($"({pairs[i].First}, {pairs[i].Second}){(i == pairs.Count - 1 ? ");" : ",")}");
        writer.Outdent();
    }

    /// <summary>The first lines of the forward pass in the inference form.</summary>
    public static void WriteForwardPrologue(SourceWriter writer)
    {
        writer.Line("if (_inference && training) throw new System.InvalidOperationException(\"This network was turned into its inference form (ToInference) and cannot train.\");");
        writer.Line("using var channelsLast = _inference && Inference.ChannelsLastConvolutions ? Inference.ChannelsLast(input) : null;");
        writer.Line("if (channelsLast is not null) input = channelsLast;");
    }
}
