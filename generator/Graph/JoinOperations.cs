namespace CnnGen.Generator.Graph;

// The operations where paths of the network meet or part: a residual's sum, a gate's product, a concat of branches
// or of a dense block's features, a split's channel slice. Their inputs are the node's input values, in order.

/// <summary>
/// <c>inputs[1] + Scale * inputs[0]</c>: a residual's body (first) added to its shortcut (second); Inception-ResNet
/// scales the body (<c>Scale</c> 0.17), every other residual has scale 1. An <c>add(a, b, ...)</c> join of named
/// outputs is the plain sum of its inputs (scale 1, not <see cref="Residual"/>).
/// </summary>
public sealed record AddOp(double Scale) : Operation
{
    public override string Kind => "add";

    /// <summary>
    /// Made by a <c>residual:</c> (body and shortcut; a shortcut written first registers its modules first), not by an
    /// <c>add</c> join, whose operands were registered in the order they were written.
    /// </summary>
    public bool Residual { get; init; }
}

/// <summary><c>inputs[0] * inputs[1]</c>, the second broadcast over height and width (a squeeze-and-excitation gate).</summary>
public sealed record MulOp : Operation
{
    public override string Kind => "mul";
}

/// <summary>The inputs concatenated on channels, in order (Inception's branches, a dense block's features).</summary>
public sealed record ConcatOp : Operation
{
    public override string Kind => "concat";
}

/// <summary>Part <c>Index</c> (from 0) of <c>Count</c> equal parts of the input's channels: a view (ShuffleNet's split).</summary>
public sealed record ChannelSliceOp(int Index, int Count) : Operation
{
    public override string Kind => "slice";
}
