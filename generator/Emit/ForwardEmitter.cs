using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Analysis;

namespace CnnGen.Generator.Emit;

/// <summary>
/// Writes the forward pass as straight-line code. The generator knows every tensor's last use, so
/// each intermediate is disposed as soon as it has been consumed (peak memory is the live set, not
/// the sum of all activations) and activations and adds run in place when that is safe: the operand
/// is ours (not the caller's input or a view of it), this is its only use, and autograd did not keep
/// it (a ReLU output must not be overwritten). A product whose factor learns (a gate, a layer scale) is a
/// consuming call instead: the operand's variable is rebound to the result, which is the operand overwritten
/// when autograd records nothing and a new tensor otherwise. Disposing a handle is safe under autograd: the
/// graph holds its own reference to what it saved.
/// Auxiliary heads are emitted right after the layer they tap, inside <c>if (withAux)</c>.
/// </summary>
internal static class ForwardEmitter
{
    /// <summary>
    /// Where the forward parts: <c>HeadCut</c> is the first step of the head when the forward cuts cleanly there
    /// (-1 otherwise), <c>Taps</c> the feature maps <c>ForwardFeatureMaps</c> returns. With either, the steps are
    /// written once, in a private <c>TrunkSteps</c> (the steps before the head, with the taps) and <c>HeadSteps</c> (the rest),
    /// which every entry point calls; without both, <c>forward</c> holds the steps itself.
    /// </summary>
    internal sealed record Layout(int HeadCut, IReadOnlyList<FeatureTap> Taps)
    {
        public bool HasHead => HeadCut > 0;

        public bool Stepped => HasHead || Taps.Count > 0;

        /// <summary>The end of the trunk: the head's first step, or the end of the forward.</summary>
        public int TrunkEnd(NetworkModel model) => HasHead ? HeadCut : model.Steps.Count;
    }

    public static Layout LayoutFor(NetworkModel model) => new(model.Head is { Clean: true } head ? head.Start : -1, FeatureTaps.Find(model));

    public static void Write(SourceWriter writer, NetworkModel model, InferenceFolding.Plan plan, Layout layout)
    {
        if (model.ReturnsRecord)
        {
            WriteRecordForward(writer, model, plan, layout);
            return;
        }
        var aux = model.AuxOutputs;
        if (aux.Count == 0)
        {
            writer.Open("public override Tensor forward(Tensor input)");
            writer.Line("CheckInput(input);");
            InferenceFolding.WriteForwardPrologue(writer);
            if (layout.Stepped)
            {
                writer.Line(layout.HasHead
                    ? $"return HeadSteps(TrunkSteps(input{TrunkArguments(model, layout, "null", "null")})!, owned: true);"
                    : $"return TrunkSteps(input{TrunkArguments(model, layout, "null", "null")})!;");
            }
            else
            {
                var nameOf = WriteSteps(writer, model, plan);
                writer.Line($"return {nameOf(model.OutputVar!)};");
            }
            writer.Close();
            WriteFeaturesAndHead(writer, model, layout);
            return;
        }

        writer.Line("/// <summary>The outputs of one pass: the main output and, in training mode when asked for, the auxiliary heads' outputs.</summary>");
        writer.Line($"/// <param name=\"Output\">The main output, {model.Output} per sample.</param>");
        foreach (var head in aux)
            writer.Line($"/// <param name=\"{head.PropertyName}\">The '{head.Name}' head's output ({head.Shape} per sample, from '{head.TappedAt}'){(model.AuxInEval ? "" : "; null in eval mode")}.</param>");
        writer.Open($"public sealed record Outputs(Tensor Output, {string.Join(", ", aux.Select(head => $"Tensor? {head.PropertyName}"))}) : System.IDisposable");
        writer.Open("public void Dispose()");
        writer.Line("Output.Dispose();");
        foreach (var head in aux) writer.Line($"{head.PropertyName}?.Dispose();");
        writer.Close();
        writer.Close();
        writer.Line();
        writer.Line("/// <summary>The main output only; the auxiliary heads are not run (torchvision's eval-mode result).</summary>");
        writer.Line("public override Tensor forward(Tensor input) => Run(input, withAux: false).Output;");
        writer.Line();
        if (model.AuxInEval)
        {
            writer.Line("/// <summary>The main output and every auxiliary head's, in training and in eval mode (torchvision's segmentation models with aux_loss=True return both in eval).</summary>");
            writer.Line("public Outputs ForwardWithAux(Tensor input) => Run(input, withAux: true);");
        }
        else
        {
            writer.Line("/// <summary>In training mode the main output and every auxiliary head's; in eval mode the main output only, as torchvision returns.</summary>");
            writer.Line("public Outputs ForwardWithAux(Tensor input) => Run(input, withAux: training);");
        }
        writer.Line();
        writer.Open("private Outputs Run(Tensor input, bool withAux)");
        writer.Line("CheckInput(input);");
        InferenceFolding.WriteForwardPrologue(writer);
        if (layout.Stepped)
        {
            writer.Line($"var aux = withAux ? new Tensor?[{aux.Count}] : null;");
            var trunk = $"TrunkSteps(input{TrunkArguments(model, layout, "aux", "null")})!";
            writer.Line($"var output = {(layout.HasHead ? $"HeadSteps({trunk}, owned: true)" : trunk)};");
            writer.Line($"return new Outputs(output, {string.Join(", ", aux.Select((_, i) => $"aux?[{i}]"))});");
        }
        else
        {
            foreach (var head in aux) writer.Line($"Tensor? {Local(head)} = null;");
            var name = WriteSteps(writer, model, plan);
            writer.Line($"return new Outputs({name(model.OutputVar!)}, {string.Join(", ", aux.Select(Local))});");
        }
        writer.Close();
        WriteFeaturesAndHead(writer, model, layout);
    }

    /// <summary>
    /// A network that returns several outputs (<c>outputs:</c>): its <c>Outputs</c> record and a <c>forward</c> that returns
    /// it. Such a network has no head; with feature taps (its encoder's stages) <c>TrunkSteps</c> makes the record,
    /// otherwise the steps are written here.
    /// </summary>
    private static void WriteRecordForward(SourceWriter writer, NetworkModel model, InferenceFolding.Plan plan, Layout layout)
    {
        var outputs = model.NamedOutputs;
        writer.Line("/// <summary>What one forward pass returns, in the order of the YAML's <c>outputs:</c>; disposing it disposes every tensor.</summary>");
        foreach (var output in outputs)
            writer.Line($"/// <param name=\"{output.PropertyName}\">'{output.Name}', {output.Shape} per sample.</param>");
        writer.Open($"public sealed record Outputs({string.Join(", ", outputs.Select(output => $"Tensor {output.PropertyName}"))}) : INetworkOutputs");
        writer.Line("/// <summary>The outputs' names in the YAML, in order.</summary>");
        writer.Line($"public static IReadOnlyList<string> Names {{ get; }} = new[] {{ {string.Join(", ", outputs.Select(output => Expressions.Value.Of(output.Name).ToCSharp()))} }};");
        writer.Line();
        writer.Line("IReadOnlyList<string> INetworkOutputs.Names => Names;");
        writer.Line();
        writer.Line("/// <summary>The outputs in the order of <see cref=\"Names\"/>.</summary>");
        writer.Line($"public IReadOnlyList<Tensor> ToList() => new[] {{ {string.Join(", ", outputs.Select(output => output.PropertyName))} }};");
        writer.Line();
        writer.Open("public void Dispose()");
        foreach (var output in outputs) writer.Line($"{output.PropertyName}.Dispose();");
        writer.Close();
        writer.Close();
        writer.Line();
        writer.Line($"/// <summary>Every output the YAML lists ({string.Join(", ", outputs.Select(output => output.Name))}), as one record.</summary>");
        writer.Open("public override Outputs forward(Tensor input)");
        writer.Line("CheckInput(input);");
        InferenceFolding.WriteForwardPrologue(writer);
        if (layout.Stepped)
        {
            writer.Line($"return TrunkSteps(input{TrunkArguments(model, layout, "null", "null")})!;");
        }
        else
        {
            var nameOf = WriteSteps(writer, model, plan);
            writer.Line($"return {NewRecord(model, nameOf)};");
        }
        writer.Close();
    }

    private static string NewRecord(NetworkModel model, System.Func<TensorVar, string> nameOf) =>
        $"new Outputs({string.Join(", ", model.NamedOutputs.Select(output => nameOf(output.Var)))})";

    /// <summary>The arguments after <c>input</c> of a <c>TrunkSteps</c> call: the aux outputs' array when the network has aux heads, the stages and maps when it has taps.</summary>
    internal static string TrunkArguments(NetworkModel model, Layout layout, string aux, string maps) =>
        (model.AuxOutputs.Count > 0 ? ", " + aux : "") + (layout.Taps.Count > 0 ? (maps == "null" ? ", default, null" : ", stages, " + maps) : "");

    private static string Local(AuxOutput head) => "aux_" + head.Name;

    /// <summary>Steps <c>[Start, End)</c> of the forward, reading <c>Given</c> (named <c>GivenName</c>) and returning <c>Result</c>.</summary>
    internal sealed record Part(int Start, int End, TensorVar? Given, string GivenName, TensorVar Result)
    {
        /// <summary>
        /// Tensors kept for the caller besides <c>Result</c> (feature taps): never overwritten, and at their last use
        /// freed only when the expression here is null (the caller did not ask for them).
        /// </summary>
        public IReadOnlyDictionary<TensorVar, string> KeptUnlessNull { get; init; } = new Dictionary<TensorVar, string>();

        /// <summary>Called before step k is written (and for k = End after the last), with the names so far: where a tap's code goes.</summary>
        public System.Action<int, System.Func<TensorVar, string>>? AtCut { get; init; }

        /// <summary>A condition (<c>owned</c>) under which <c>Given</c> is the part's to free at its last use; null: the caller's, never freed.</summary>
        public string? GivenOwnedWhen { get; init; }

        /// <summary>The aux heads' steps are written, inside <c>if (aux is not null)</c>, their outputs stored in <c>aux[k]</c>.</summary>
        public bool WithAux { get; init; }

        /// <summary>Every named output of a network that returns a record: returned, so never overwritten or freed.</summary>
        public bool WithNamedOutputs { get; init; }
    }

    /// <summary>
    /// <c>ForwardFeatures</c> (every step before the head: what the head receives) and <c>ForwardHead</c> (the rest),
    /// when the YAML names a head and the forward cuts cleanly there (see <see cref="Analysis.HeadCut"/>).
    /// </summary>
    private static void WriteFeaturesAndHead(SourceWriter writer, NetworkModel model, Layout layout)
    {
        if (!layout.HasHead) return;
        var cut = layout.HeadCut;
        writer.Line();
        writer.Line($"/// <summary>Every step before the head '{model.HeadPath}': the features it receives, {HeadInputShape(model, cut)} per sample (eval semantics as <c>forward</c>; aux heads are not run).</summary>");
        writer.Open("public Tensor ForwardFeatures(Tensor input)");
        writer.Line("CheckInput(input);");
        InferenceFolding.WriteForwardPrologue(writer);
        writer.Line($"return TrunkSteps(input{TrunkArguments(model, layout, "null", "null")})!;");
        writer.Close();
        writer.Line();
        writer.Line($"/// <summary>The head '{model.HeadPath}' on what <c>ForwardFeatures</c> returns; <c>ForwardHead(ForwardFeatures(x))</c> is <c>forward(x)</c>.</summary>");
        writer.Open("public Tensor ForwardHead(Tensor features)");
        writer.Line("if (_inference && training) throw new System.InvalidOperationException(\"This network was turned into its inference form (ToInference) and cannot train.\");");
        writer.Line("return HeadSteps(features, owned: false);");
        writer.Close();
    }

    /// <summary>
    /// The private methods every entry point calls: <c>TrunkSteps</c>, the steps before the head (or all of them), which
    /// returns their result, or, asked for feature maps, stores them and stops after the deepest one asked for
    /// (returning null); and <c>HeadSteps</c>, the head's steps on the trunk's result.
    /// </summary>
    public static void WriteStepped(SourceWriter writer, NetworkModel model, InferenceFolding.Plan plan, Layout layout)
    {
        if (!layout.Stepped) return;
        var trunkEnd = layout.TrunkEnd(model);
        var result = layout.HasHead ? model.Steps[layout.HeadCut].Inputs[0] : model.OutputVar!;
        var taps = layout.Taps;
        var parameters = (model.AuxOutputs.Count > 0 ? ", Tensor?[]? aux" : "") + (taps.Count > 0 ? ", FeatureStage stages, Tensor?[]? maps" : "");
        writer.Line();
        writer.Line("/// <summary>");
        writer.Line(layout.HasHead
            ? "/// The steps before the head, written once for <c>forward</c>, <c>ForwardFeatures</c>" + (taps.Count > 0 ? " and <c>ForwardFeatureMaps</c>" : "") + ": returns the head's input."
            : "/// The forward's steps, written once for <c>forward</c> and <c>ForwardFeatureMaps</c>: returns the output.");
        if (model.AuxOutputs.Count > 0) writer.Line("/// With <paramref name=\"aux\"/>, the aux heads run too and leave their outputs there.");
        if (taps.Count > 0)
            writer.Line("/// With <paramref name=\"maps\"/>, the taps asked for in <paramref name=\"stages\"/> are stored there, never overwritten, and the steps stop after the deepest (null is returned).");
        writer.Line("/// </summary>");
        writer.Open($"private {(model.ReturnsRecord ? "Outputs" : "Tensor")}? TrunkSteps(Tensor input{parameters})");
        var last = taps.Count - 1;
        var tapAt = Enumerable.Range(0, taps.Count).ToDictionary(i => taps[i].Cut);
        var tapOf = Enumerable.Range(0, taps.Count).ToDictionary(i => taps[i].Var);
        var flags = FeatureMapsEmitter.Flags(taps);
        void AtCut(int cut, System.Func<TensorVar, string> nameOf)
        {
            if (!tapAt.TryGetValue(cut, out var i)) return;
            var tensor = nameOf(taps[i].Var);
            writer.Open("if (maps is not null)");
            writer.Line($"if ((stages & {flags[i]}) != 0) maps[{i}] = {tensor};");
            // Nothing deeper asked for: stop here, freeing what is live (at a classifier's clean cut only this tap;
            // in a dense network also the stages its decoder would read), except the maps handed to the caller.
            // A record network always stops at its last tap: its outputs are freed there unless handed over as maps.
            if (i < last || cut < trunkEnd || model.ReturnsRecord)
            {
                writer.Open($"if ((stages & ~({string.Join(" | ", flags.Take(i + 1))})) == 0)");
                writer.Line($"if (maps[{i}] is null) {tensor}.Dispose();");
                foreach (var other in taps[i].AlsoLive)
                    writer.Line(tapOf.TryGetValue(other, out var j) ? $"if (maps[{j}] is null) {nameOf(other)}.Dispose();" : $"{nameOf(other)}.Dispose();");
                writer.Line("return null;");
                writer.Close();
            }
            writer.Close();
        }
        var kept = Enumerable.Range(0, taps.Count).Where(i => taps[i].Var != result).ToDictionary(i => taps[i].Var, i => $"maps?[{i}]");
        var nameOf = WriteSteps(writer, model, plan, new Part(0, trunkEnd, null, "input", result)
        {
            KeptUnlessNull = kept,
            AtCut = AtCut,
            WithAux = model.AuxOutputs.Count > 0,
            WithNamedOutputs = model.ReturnsRecord,
        });
        if (model.ReturnsRecord)
        {
            // A ForwardFeatureMaps call has returned at its last tap, before this.
            writer.Line($"return {NewRecord(model, nameOf)};");
            writer.Close();
            return;
        }
        var resultIsTap = taps.Count > 0 && taps[last].Var == result;
        // The last tap may be the result itself: the caller of ForwardFeatureMaps owns it then, and forward's gets it.
        writer.Line(resultIsTap ? $"return maps is not null && maps[{last}] is null ? DisposedTap({nameOf(result)}) : {nameOf(result)};" : $"return {nameOf(result)};");
        writer.Close();
        if (resultIsTap)
        {
            writer.Line();
            writer.Line("/// <summary>Frees a tap nobody asked for that is also the trunk's result.</summary>");
            writer.Open("private static Tensor? DisposedTap(Tensor tensor)");
            writer.Line("tensor.Dispose();");
            writer.Line("return null;");
            writer.Close();
        }
        if (!layout.HasHead) return;
        writer.Line();
        writer.Line("/// <summary>The head's steps on the trunk's result; <paramref name=\"owned\"/>: it is ours to free.</summary>");
        writer.Open("private Tensor HeadSteps(Tensor features, bool owned)");
        nameOf = WriteSteps(writer, model, plan, new Part(layout.HeadCut, model.Steps.Count, result, "features", model.OutputVar!) { GivenOwnedWhen = "owned" });
        writer.Line($"return {nameOf(model.OutputVar!)};");
        writer.Close();
    }

    /// <summary>The shape of the head's input, from the step that makes it.</summary>
    private static string HeadInputShape(NetworkModel model, int cut)
    {
        var producer = model.Steps.Take(cut).LastOrDefault(step => step.Output == model.Steps[cut].Inputs[0]);
        return producer?.OutputShape?.ToString() ?? "the head's input";
    }

    /// <summary>
    /// Writes the steps; returns the C# name of each tensor (in-place steps merge names). A part of the forward
    /// (<see cref="Part"/>) writes steps <c>[Start, End)</c> without the aux heads, returns <c>Result</c> and reads
    /// <c>Given</c> as the caller's tensor named <c>GivenName</c> (never overwritten or freed).
    /// </summary>
    internal static System.Func<TensorVar, string> WriteSteps(SourceWriter writer, NetworkModel model, InferenceFolding.Plan plan, Part? part = null)
    {
        var steps = model.Steps;
        var (start, end) = part is null ? (0, steps.Count) : (part.Start, part.End);
        bool Included(int i) => part is null || part.WithAux || steps[i].Aux is null;
        bool Owned(TensorVar tensor) => tensor.IsInput || tensor == part?.Given;
        var (folded, preActivations) = (plan.FoldedBatchNorms, plan.PreActivations);
        var reluOfPreActivation = new HashSet<int>(preActivations.Values.Select(triple => triple.Relu));
        var results = part is null
            ? new HashSet<TensorVar>(model.AuxOutputs.Select(head => head.Var).Concat(model.NamedOutputs.Select(output => output.Var))) { model.OutputVar! }
            : new HashSet<TensorVar>(part.KeptUnlessNull.Keys) { part.Result };
        if (part is { WithAux: true }) results.UnionWith(model.AuxOutputs.Select(head => head.Var));
        if (part is { WithNamedOutputs: true }) results.UnionWith(model.NamedOutputs.Select(output => output.Var));
        var uses = new Dictionary<TensorVar, int>();
        var lastUse = new Dictionary<TensorVar, int>();
        var producedInAux = new HashSet<TensorVar>(steps.Where(step => step.Aux is not null).Select(step => step.Output));
        for (var i = start; i < end; i++)
        {
            if (!Included(i)) continue;
            foreach (var input in steps[i].Inputs)
            {
                uses[input] = uses.TryGetValue(input, out var count) ? count + 1 : 1;
                // An aux head does not extend the life of a main-path tensor: it runs right after the tap.
                if (steps[i].Aux is null || producedInAux.Contains(input)) lastUse[input] = i;
            }
        }
        // A tensor merged into a later one by an in-place step shares its name.
        var names = new Dictionary<TensorVar, string>();
        if (part?.Given is { } given) names[given] = part.GivenName;
        string NameOf(TensorVar tensor) => names.TryGetValue(tensor, out var name) ? name : tensor.Name;

        foreach (var dense in model.DenseBuffers)
            if (Enumerable.Range(start, end - start).Any(i => steps[i].Template.Contains(dense.Local)))
                writer.Line($"using var {dense.Local} = new DenseConcat({dense.Field});");
        string? openAux = null;
        for (var i = start; i < end; i++)
        {
            part?.AtCut?.Invoke(i, NameOf);
            if (!Included(i)) continue;
            var step = steps[i];
            if (step.Aux != openAux)
            {
                if (openAux is not null) CloseAux(writer, model, openAux, NameOf, part is not null);
                if (step.Aux is not null) writer.Open(part is null ? "if (withAux)" : "if (aux is not null)");
                openAux = step.Aux;
            }
            var operand = step.Inputs[0];
            if (reluOfPreActivation.Contains(i))
            {
                // Ran with its batch norm (see below): the ReLU's output is the batch norm step's tensor.
                names[step.Output] = NameOf(operand);
                continue;
            }
            var args = step.Inputs.Select(NameOf).Cast<object>().ToArray();
            writer.Line($"// {step.Comment}");
            // Ours to overwrite: not the caller's, not a view, needed by nothing after this step.
            var ours = !Owned(operand) && !operand.IsAlias && !operand.AliasesInput
                && uses[operand] == 1 && !results.Contains(operand)
                && step.Inputs.Skip(1).All(other => other != operand);
            var inPlace = step.InPlaceTemplate is not null && ours && !operand.SavedByProducer;
            // A consuming call decides at run time whether autograd lets it overwrite (see Forward.MulConsuming), so
            // the operand need only be ours and read last here (a gate's x is also read by its scale, before).
            var consuming = !inPlace && step.ConsumingTemplate is not null
                && !Owned(operand) && !operand.IsAlias && !operand.AliasesInput && !results.Contains(operand)
                && lastUse.TryGetValue(operand, out var lastRead) && lastRead == i
                && step.Inputs.Skip(1).All(other => other != operand && !other.IsAlias);
            if (preActivations.TryGetValue(i, out var preActivation))
            {
                // The batch norm and the ReLU after it; in the inference form one maximum (their affine part
                // lives in the next convolution's weights).
                writer.Line($"// {steps[preActivation.Relu].Comment}");
                writer.Line($"var {NameOf(step.Output)} = Inference.BatchNormRelu({step.Field}, {args[0]}, folded: _inference);");
                inPlace = false;
            }
            else if (folded.ContainsKey(i))
            {
                // In the inference form this batch norm lives in the convolution's weights.
                writer.Line($"var {NameOf(step.Output)} = Inference.BatchNorm({step.Field}, {args[0]}, folded: _inference);");
                continue;
            }
            else if (consuming)
            {
                writer.Line($"{args[0]} = {string.Format(step.ConsumingTemplate!, args)};");
                names[step.Output] = NameOf(operand);
                // It may be the operand itself, so it is kept from later in-place steps as the operand was.
                step.Output.SavedByProducer |= operand.SavedByProducer;
            }
            else if (inPlace)
            {
                writer.Line(string.Format(step.InPlaceTemplate!, args) + ";");
                names[step.Output] = NameOf(operand);
                step.Output.IsAlias = operand.IsAlias;
                step.Output.AliasesInput = operand.AliasesInput;
            }
            else
            {
                writer.Line($"var {NameOf(step.Output)} = {string.Format(step.Template, args)};");
            }
            foreach (var input in step.Inputs.Distinct())
            {
                if (part is not null && part.KeptUnlessNull.TryGetValue(input, out var kept) && lastUse[input] == i)
                    writer.Line($"if ({kept} is null) {NameOf(input)}.Dispose();");
                if (part?.GivenOwnedWhen is { } owned && input == part.Given && lastUse.TryGetValue(input, out var lastOfGiven) && lastOfGiven == i)
                    writer.Line($"if ({owned}) {NameOf(input)}.Dispose();");
                if (Owned(input) || results.Contains(input) || !lastUse.TryGetValue(input, out var last) || last != i) continue;
                if ((inPlace || consuming) && input == operand) continue;
                writer.Line($"{NameOf(input)}.Dispose();");
            }
            if (!uses.ContainsKey(step.Output) && !results.Contains(step.Output))
                writer.Line($"{NameOf(step.Output)}.Dispose();");
        }
        if (openAux is not null) CloseAux(writer, model, openAux, NameOf, part is not null);
        part?.AtCut?.Invoke(end, NameOf);
        return NameOf;
    }

    /// <summary>Ends an aux head's block, handing its output to a local (<c>aux_name</c>) or, in the trunk, to <c>aux[k]</c>.</summary>
    private static void CloseAux(SourceWriter writer, NetworkModel model, string head, System.Func<TensorVar, string> nameOf, bool toArray)
    {
        var index = model.AuxOutputs.FindIndex(aux => aux.Name == head);
        if (index >= 0) writer.Line(toArray ? $"aux[{index}] = {nameOf(model.AuxOutputs[index].Var)};" : $"{Local(model.AuxOutputs[index])} = {nameOf(model.AuxOutputs[index].Var)};");
        writer.Close();
    }
}
