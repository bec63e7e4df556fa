using System.Collections.Generic;

namespace CnnGen.Generator.Layers;

/// <summary>
/// What analysing one layer instance yields: its output shape, exact parameter count and MACs, and
/// what to emit (the TorchSharp module to build, if the layer has state, and its forward call).
/// </summary>
public sealed record LayerResult(Shape Output, long Parameters, long Macs, ForwardOp Forward)
{
    /// <summary>
    /// The layer has state of its own: a module the constructor builds into a field (its type and construction are
    /// printed from the operation, see <c>Emit.ModuleConstruction</c>), or with <see cref="IsParameter"/> a parameter.
    /// </summary>
    public bool HasModule { get; init; }

    /// <summary>The field holds a <c>Parameter</c> registered on the enclosing group itself (layer scale), not a child module.</summary>
    public bool IsParameter { get; init; }

    /// <summary>How the layer changes height and width as formulas of the input size.</summary>
    public SpatialRule SizeRule { get; init; } = SpatialRule.Keep;

    /// <summary>
    /// The tensors the module registers in the state dict, relative to it and in its registration order
    /// (<c>weight</c>, <c>bias</c>; bn adds its running statistics and counter). Empty for a stateless layer;
    /// null for a layer written in C#, whose tensors only its class knows.
    /// </summary>
    public IReadOnlyList<StateTensor>? Tensors { get; init; } = System.Array.Empty<StateTensor>();

    /// <summary>A 1x1 convolution without padding or groups: linear at each pixel, so a per-channel affine map before it can fold into it.</summary>
    public bool Pointwise { get; init; }

    /// <summary>What the layer computes, with its attributes, as a node of the network graph.</summary>
    public Graph.Operation? Operation { get; init; }

    /// <summary>
    /// The <see cref="ArgumentType.Output"/> argument whose output the layer reads besides its input (<c>{1}</c> in the
    /// forward templates, the node's second input): the reference size of <c>upsample(to=...)</c> and <c>crop(to=...)</c>.
    /// </summary>
    public string? ReadsOutput { get; init; }

    /// <summary>
    /// Several <see cref="ArgumentType.Output"/> arguments whose outputs the layer reads besides its input, in order
    /// (<c>{1}</c>, <c>{2}</c> ... in the forward templates): the levels of <c>dfl</c>. Used instead of <see cref="ReadsOutput"/>.
    /// </summary>
    public IReadOnlyList<string>? ReadsOutputs { get; init; }

    /// <summary>A short description for the layer table, e.g. <c>3x3/2, 64</c>.</summary>
    public string Detail { get; init; } = "";
}

/// <summary>
/// How the forward pass applies a layer. Templates use <c>{0}</c> for the input tensor and
/// <c>{m}</c> for the module field. <see cref="InPlace"/> is used instead when the input is not
/// needed afterwards; <see cref="SavesOutput"/> says autograd keeps the output (ReLU), so no later
/// in-place operation may overwrite it; <see cref="MayAlias"/> says the result can share storage
/// with the input (views, dropout in eval mode). <see cref="Consuming"/>, when the input is ours and not
/// needed afterwards but autograd may need it (a product whose factor learns), is a call that takes the input
/// over and returns the result: in place when autograd records nothing, a new tensor otherwise (the forward
/// rebinds the input's variable to it).
/// </summary>
public sealed record ForwardOp(string Template, string? InPlace = null, bool SavesOutput = false, bool MayAlias = false, string? Consuming = null)
{
    public static ForwardOp Module => new("{m}.forward({0})");
}
