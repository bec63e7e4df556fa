using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Analysis;

namespace CnnGen.Generator.Emit;

/// <summary>
/// Writes the forward pass as straight-line code. The generator knows every tensor's last use, so
/// each intermediate is disposed as soon as it has been consumed (peak memory is the live set, not
/// the sum of all activations) and activations and adds run in place when that is safe: the operand
/// is ours (not the caller's input or a view of it), this is its only use, and autograd did not keep
/// it (a ReLU output must not be overwritten). Disposing a handle is safe under autograd: the graph
/// holds its own reference to what it saved.
/// </summary>
internal static class ForwardEmitter
{
    public static void Write(SourceWriter writer, NetworkModel model)
    {
        var steps = model.Steps;
        var uses = new Dictionary<TensorVar, int>();
        var lastUse = new Dictionary<TensorVar, int>();
        for (var i = 0; i < steps.Count; i++)
        {
            foreach (var input in steps[i].Inputs)
            {
                uses[input] = uses.TryGetValue(input, out var count) ? count + 1 : 1;
                lastUse[input] = i;
            }
        }
        var result = model.OutputVar!;
        // A tensor that was merged into a later one by an in-place step shares its name.
        var names = new Dictionary<TensorVar, string>();
        string NameOf(TensorVar tensor) => names.TryGetValue(tensor, out var name) ? name : tensor.Name;

        writer.Open("public override Tensor forward(Tensor input)");
        writer.Line("CheckInput(input);");
        for (var i = 0; i < steps.Count; i++)
        {
            var step = steps[i];
            var operand = step.Inputs[0];
            var args = step.Inputs.Select(NameOf).Cast<object>().ToArray();
            writer.Line($"// {step.Comment}");
            var inPlace = step.InPlaceTemplate is not null
                && !operand.IsInput && !operand.IsAlias && !operand.AliasesInput && !operand.SavedByProducer
                && uses[operand] == 1 && operand != result
                && step.Inputs.Skip(1).All(other => other != operand);
            if (inPlace)
            {
                writer.Line(string.Format(step.InPlaceTemplate!, args) + ";");
                names[step.Output] = NameOf(operand);
                // The merged tensor is overwritten; what autograd needs of it is what the new op saves.
                step.Output.IsAlias = operand.IsAlias;
                step.Output.AliasesInput = operand.AliasesInput;
            }
            else
            {
                writer.Line($"var {NameOf(step.Output)} = {string.Format(step.Template, args)};");
            }
            foreach (var input in step.Inputs.Distinct())
            {
                if (input.IsInput || input == result || lastUse[input] != i) continue;
                if (inPlace && input == operand) continue;
                writer.Line($"{NameOf(input)}.Dispose();");
            }
            if (!uses.ContainsKey(step.Output) && step.Output != result)
                writer.Line($"{NameOf(step.Output)}.Dispose();");
        }
        writer.Line($"return {NameOf(result)};");
        writer.Close();
    }
}
