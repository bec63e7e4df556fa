using CnnGen.Generator.Analysis;
using CnnGen.Generator.Graph;
using CnnGen.Generator.Model;

namespace CnnGen.Tool;

/// <summary>What a forward step that joins or parts tensors is: the construct of the YAML it was made from.</summary>
public enum JoinKind
{
    /// <summary>A residual's sum (<see cref="AddOp"/>), scaled or not.</summary>
    Residual,
    /// <summary>An <c>add(a, b, ...)</c> of named outputs (<see cref="AddOp"/> not made by a residual).</summary>
    Sum,
    /// <summary>A gate's product <c>x * s(x)</c> (<see cref="MulOp"/>).</summary>
    Gate,
    /// <summary>A <c>concat</c> of branches.</summary>
    Concat,
    /// <summary>The concatenation closing a <c>split</c>.</summary>
    Split,
    /// <summary>One of a dense block's concatenations (a layer's input, or the block's output).</summary>
    Dense,
    /// <summary>A <c>split</c>'s part (<see cref="ChannelSliceOp"/>).</summary>
    Part,
}

/// <summary>
/// Tells the joins of a network's forward steps apart by their typed data: the step's <see cref="ForwardStep.Operation"/>,
/// and for a <see cref="ConcatOp"/>, which construct made it. A concat, a split and a dense block all end in one: a
/// split's concat is written at the same YAML key as its parts (<see cref="ForwardStep.Site"/>), and a dense block's
/// concats are views of the block's buffer (<see cref="TensorVar.IsAlias"/>; <c>torch.cat</c> of a concat or a split
/// makes a new tensor). The graph alone cannot tell a one-layer dense block from a concat whose first branch is empty:
/// both are <c>cat(x, f(x))</c>.
/// </summary>
public sealed class StepJoins
{
    private readonly HashSet<SourceSpan> _splitSites;

    public StepJoins(IEnumerable<ForwardStep> steps) =>
        _splitSites = new HashSet<SourceSpan>(steps.Where(step => step.Operation is ChannelSliceOp).Select(step => step.Site));

    /// <summary>The join <paramref name="step"/> makes; null for a layer.</summary>
    public JoinKind? Of(ForwardStep step) => step.Operation switch
    {
        AddOp { Residual: true } => JoinKind.Residual,
        AddOp => JoinKind.Sum,
        MulOp => JoinKind.Gate,
        ChannelSliceOp => JoinKind.Part,
        ConcatOp when step.Output.IsAlias => JoinKind.Dense,
        ConcatOp when _splitSites.Contains(step.Site) => JoinKind.Split,
        ConcatOp => JoinKind.Concat,
        _ => null,
    };
}
