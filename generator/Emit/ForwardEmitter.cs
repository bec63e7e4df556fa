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
    public static void Write(SourceWriter writer, NetworkModel model, InferenceFolding.Plan plan)
    {
        if (model.AuxOutputs.Count == 0)
        {
            writer.Open("public override Tensor forward(Tensor input)");
            writer.Line("CheckInput(input);");
            InferenceFolding.WriteForwardPrologue(writer);
            var nameOf = WriteSteps(writer, model, plan);
            writer.Line($"return {nameOf(model.OutputVar!)};");
            writer.Close();
            WriteFeaturesAndHead(writer, model, plan);
            return;
        }

        var aux = model.AuxOutputs;
        writer.Line("/// <summary>The outputs of one pass: the main output and, in training mode when asked for, the auxiliary heads' outputs.</summary>");
        writer.Line($"/// <param name=\"Output\">The main output, {model.Output} per sample.</param>");
        foreach (var head in aux)
            writer.Line($"/// <param name=\"{head.PropertyName}\">The '{head.Name}' head's output ({head.Shape} per sample, from '{head.TappedAt}'); null in eval mode.</param>");
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
        writer.Line("/// <summary>In training mode the main output and every auxiliary head's; in eval mode the main output only, as torchvision returns.</summary>");
        writer.Line("public Outputs ForwardWithAux(Tensor input) => Run(input, withAux: training);");
        writer.Line();
        writer.Open("private Outputs Run(Tensor input, bool withAux)");
        writer.Line("CheckInput(input);");
        InferenceFolding.WriteForwardPrologue(writer);
        foreach (var head in aux) writer.Line($"Tensor? {Local(head)} = null;");
        var name = WriteSteps(writer, model, plan);
        writer.Line($"return new Outputs({name(model.OutputVar!)}, {string.Join(", ", aux.Select(Local))});");
        writer.Close();
        WriteFeaturesAndHead(writer, model, plan);
    }

    private static string Local(AuxOutput head) => "aux_" + head.Name;

    /// <summary>Steps <c>[Start, End)</c> of the forward, reading <c>Given</c> (named <c>GivenName</c>) and returning <c>Result</c>.</summary>
    internal sealed record Part(int Start, int End, TensorVar? Given, string GivenName, TensorVar Result)
    {
        /// <summary>
        /// Tensors kept for the caller besides <c>Result</c> (feature taps): never overwritten, and at their last use
        /// freed only when the local named here is null (the caller did not ask for them).
        /// </summary>
        public IReadOnlyDictionary<TensorVar, string> KeptUnlessNull { get; init; } = new Dictionary<TensorVar, string>();

        /// <summary>Called before step k is written (and for k = End after the last), with the names so far: where a tap's code goes.</summary>
        public System.Action<int, System.Func<TensorVar, string>>? AtCut { get; init; }
    }

    /// <summary>
    /// <c>ForwardFeatures</c> (every step before the head: what the head receives) and <c>ForwardHead</c> (the rest),
    /// when the YAML names a head and the forward cuts cleanly there: no step from the head on reads a tensor
    /// made before it other than the head's input, and no aux head taps after it.
    /// </summary>
    private static void WriteFeaturesAndHead(SourceWriter writer, NetworkModel model, InferenceFolding.Plan plan)
    {
        if (model.HeadPath is not { } head) return;
        var steps = model.Steps;
        // The head's modules (one layer, or a group's leaves) by their fields; the cut is the first step using one.
        var fields = new HashSet<string>(Leaves(Find(model.Root, head.Split('.'))).Where(node => node.Field is not null).Select(node => node.Field!));
        var cut = -1;
        for (var i = 0; i < steps.Count && cut < 0; i++)
            if (steps[i].Aux is null && steps[i].Field is { } field && fields.Contains(field))
                cut = i;
        if (cut <= 0) return;
        var features = steps[cut].Inputs[0];
        var madeAfter = new HashSet<TensorVar> { features };
        for (var i = cut; i < steps.Count; i++)
        {
            if (steps[i].Aux is not null || steps[i].Inputs.Any(input => !madeAfter.Contains(input))) return;
            madeAfter.Add(steps[i].Output);
        }
        writer.Line();
        writer.Line($"/// <summary>Every step before the head '{head}': the features it receives, {Shape(model, cut)} per sample (eval semantics as <c>forward</c>; aux heads are not run).</summary>");
        writer.Open("public Tensor ForwardFeatures(Tensor input)");
        writer.Line("CheckInput(input);");
        InferenceFolding.WriteForwardPrologue(writer);
        var name = WriteSteps(writer, model, plan, new Part(0, cut, null, "input", features));
        writer.Line($"return {name(features)};");
        writer.Close();
        writer.Line();
        writer.Line($"/// <summary>The head '{head}' on what <c>ForwardFeatures</c> returns; <c>ForwardHead(ForwardFeatures(x))</c> is <c>forward(x)</c>.</summary>");
        writer.Open("public Tensor ForwardHead(Tensor features)");
        writer.Line("if (_inference && training) throw new System.InvalidOperationException(\"This network was turned into its inference form (ToInference) and cannot train.\");");
        name = WriteSteps(writer, model, plan, new Part(cut, steps.Count, features, "features", model.OutputVar!));
        writer.Line($"return {name(model.OutputVar!)};");
        writer.Close();
    }

    private static ModuleNode? Find(ModuleNode? node, IEnumerable<string> path)
    {
        foreach (var name in path) node = node?.Children.FirstOrDefault(child => child.Name == name);
        return node;
    }

    private static IEnumerable<ModuleNode> Leaves(ModuleNode? node) =>
        node is null ? Enumerable.Empty<ModuleNode>() : node.IsGroup ? node.Children.SelectMany(Leaves) : new[] { node };

    /// <summary>The shape the step producing the head's input wrote in its comment (<c>... -> 512</c>).</summary>
    private static string Shape(NetworkModel model, int cut)
    {
        var producer = model.Steps.Take(cut).LastOrDefault(step => step.Output == model.Steps[cut].Inputs[0]);
        var at = producer?.Comment.LastIndexOf("-> ", System.StringComparison.Ordinal) ?? -1;
        return at < 0 ? "the head's input" : producer!.Comment.Substring(at + 3);
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
        bool Included(int i) => part is null || steps[i].Aux is null;
        bool Owned(TensorVar tensor) => tensor.IsInput || tensor == part?.Given;
        var (folded, preActivations) = (plan.FoldedBatchNorms, plan.PreActivations);
        var reluOfPreActivation = new HashSet<int>(preActivations.Values.Select(triple => triple.Relu));
        var results = part is null ? new HashSet<TensorVar>(model.AuxOutputs.Select(head => head.Var)) { model.OutputVar! } : new HashSet<TensorVar>(part.KeptUnlessNull.Keys) { part.Result };
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
                if (openAux is not null) CloseAux(writer, model, openAux, NameOf);
                if (step.Aux is not null) writer.Open("if (withAux)");
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
                if (Owned(input) || results.Contains(input) || !lastUse.TryGetValue(input, out var last) || last != i) continue;
                if ((inPlace || consuming) && input == operand) continue;
                writer.Line($"{NameOf(input)}.Dispose();");
            }
            if (!uses.ContainsKey(step.Output) && !results.Contains(step.Output))
                writer.Line($"{NameOf(step.Output)}.Dispose();");
        }
        if (openAux is not null) CloseAux(writer, model, openAux, NameOf);
        part?.AtCut?.Invoke(end, NameOf);
        return NameOf;
    }

    private static void CloseAux(SourceWriter writer, NetworkModel model, string head, System.Func<TensorVar, string> nameOf)
    {
        var output = model.AuxOutputs.FirstOrDefault(aux => aux.Name == head);
        if (output is not null) writer.Line($"{Local(output)} = {nameOf(output.Var)};");
        writer.Close();
    }
}
