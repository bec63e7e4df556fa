using CnnGen.Generator.Analysis;
using CnnGen.Generator.Graph;
using CnnGen.Generator.Layers;

namespace CnnGen.Tool;

/// <summary>
/// What each branch of a concatenation holds, as the papers' figures draw it: its convolutions' kernels and
/// its pools in forward order (<c>1x1-3x3</c>, <c>avgpool-1x1</c>), a concatenation inside the branch as its
/// parts in brackets after what they share (Inception-v4's inception-C: <c>1x1-(1x3|3x1)</c>). Read from the
/// forward steps' data flow, not from module names, which a branch written as a mapping does not have.
/// </summary>
public static class DiagramBranches
{
    /// <summary>
    /// One label per input of <paramref name="concat"/>, among the steps of its block; an input made outside the block
    /// that is not the block's own input is "skip" (a U-Net decoder's encoder map, drawn as an arc into the box).
    /// </summary>
    public static List<string> Of(ForwardStep concat, IReadOnlyList<ForwardStep> steps, StepJoins joins)
    {
        var producers = steps.ToDictionary(step => step.Output);
        var blockInput = steps.Count > 0 && steps[0].Inputs.Count > 0 ? steps[0].Inputs[0] : null;
        return concat.Inputs.Select(input =>
            producers.TryGetValue(input, out var producer) ? joins.Of(producer) == JoinKind.Part ? "identity" : Shorten(Describe(Chain(input, producers, joins)))
            : input == blockInput ? "input" : "skip").ToList();
    }

    /// <summary>The longest label drawn whole: joins of named outputs (YOLOv8's neck) make a branch's history a graph, whose tree spelling grows without bound.</summary>
    private const int LongestLabel = 60;

    /// <summary>A label too long to read kept to its last steps, after an ellipsis: <c>…-3x3-1x1</c>.</summary>
    private static string Shorten(string label)
    {
        if (label.Length <= LongestLabel) return label;
        var tail = label.Substring(label.Length - LongestLabel);
        var cut = tail.IndexOf('-');
        return "\u2026" + (cut >= 0 ? tail.Substring(cut) : "-" + tail);
    }

    /// <summary>A step of a branch, or a concatenation's parts after the steps they share.</summary>
    private abstract record Item;

    private sealed record Layer(ForwardStep Step) : Item;

    private sealed record Fork(List<List<Item>> Parts) : Item;

    /// <summary>The steps from the block's input to <paramref name="tensor"/>, in forward order.</summary>
    private static List<Item> Chain(TensorVar tensor, Dictionary<TensorVar, ForwardStep> producers, StepJoins joins)
    {
        if (!producers.TryGetValue(tensor, out var step)) return new List<Item>();
        if (joins.Of(step) is not (JoinKind.Concat or JoinKind.Split))
        {
            // A layer, or another join (an add, a gate, a dense block's concat) continued along its main input.
            var chain = Chain(step.Inputs[0], producers, joins);
            if (step.Kind is not null) chain.Add(new Layer(step));
            return chain;
        }
        var parts = step.Inputs.Select(input => Chain(input, producers, joins)).ToList();
        var shared = 0;
        while (parts.All(part => part.Count > shared && part[shared] == parts[0][shared])) shared++;
        var result = parts[0].Take(shared).ToList();
        result.Add(new Fork(parts.Select(part => part.Skip(shared).ToList()).ToList()));
        return result;
    }

    private static string Describe(List<Item> chain)
    {
        var tokens = chain.Select(Token).Where(token => token is not null).ToList();
        return tokens.Count == 0 ? "input" : string.Join("-", tokens);
    }

    private static string? Token(Item item) => item switch
    {
        Fork fork => "(" + string.Join("|", fork.Parts.Select(Describe)) + ")",
        Layer { Step: var step } => step.Kind switch
        {
            "conv" or "tableconv" => Kernel(step) ?? "conv",
            "dwconv" => "dw" + (Kernel(step) ?? "conv"),
            "convtranspose" => "up " + (Kernel(step) ?? "conv"),
            "crop" => "crop",
            "maxpool" or "avgpool" => step.Kind,
            "linear" => "fc",
            _ => null,
        },
        _ => null,
    };

    /// <summary>A convolution's kernel and stride, as the layer table writes them (<c>conv 3x3/2, g=6</c> is 3x3/2).</summary>
    private static string? Kernel(ForwardStep step) => step.Operation switch
    {
        Conv2dOp conv => Window(conv.Kernel, conv.Stride),
        TableConvOp table => Window(table.Kernel, table.Stride),
        ConvTranspose2dOp transposed => Window(transposed.Kernel, transposed.Stride),
        _ => null,
    };

    private static string Window(Pair kernel, Pair stride) =>
        Spatial.Window((kernel.H, kernel.W)) + (stride != new Pair(1, 1) ? "/" + Spatial.Describe((stride.H, stride.W)) : "");
}
