using CnnGen.Generator.Expressions;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Graph;

/// <summary>
/// The analysed network as every target reads it: values and the nodes that compute them, in topological order.
/// Value 0 is the network's input; node <c>n</c> computes value <see cref="GraphNode.Output"/> from its
/// <see cref="GraphNode.Inputs"/>, which may be any earlier values (a residual reads its block's input again, a
/// dense block every earlier feature map). Sizes are numbers at the model arguments' defaults, each with the
/// expression over the arguments when it depends on them. Immutable and equatable: two equal files give equal graphs.
/// </summary>
/// <param name="ClassName">The generated class.</param>
/// <param name="SourcePath">The YAML file, for <see cref="GraphNode.Site"/>.</param>
/// <param name="Arguments">The model arguments (the generated constructor's parameters), in order.</param>
/// <param name="DerivedSizes">Sizes named once because later ones build on them (DenseNet's running channel count).</param>
/// <param name="Input">The shape of one input sample.</param>
/// <param name="Nodes">Every operation, in the order a forward pass runs them (aux heads where they tap the trunk).</param>
/// <param name="Output">The value the network returns.</param>
/// <param name="AuxOutputs">Auxiliary heads' outputs (GoogLeNet's aux1), computed only in training when asked for.</param>
/// <param name="Head">Where the classifier head starts; null for a network without <c>head:</c>.</param>
public sealed record NetworkGraph(
    string ClassName,
    string SourcePath,
    EquatableArray<GraphArgument> Arguments,
    EquatableArray<DerivedSize> DerivedSizes,
    TensorShape Input,
    EquatableArray<GraphNode> Nodes,
    int Output,
    TensorShape OutputShape,
    EquatableArray<GraphOutput> AuxOutputs,
    long Parameters,
    long Macs,
    long? PublishedParameters,
    string? PublishedSource,
    GraphHead? Head)
{
    /// <summary>The id of the network's input value.</summary>
    public const int InputValue = 0;

    /// <summary>
    /// What the network returns when its YAML lists several <c>outputs:</c> (a typed record, in this order; the first is
    /// <see cref="Output"/>); empty for a network that returns one tensor.
    /// </summary>
    public EquatableArray<GraphNamedOutput> Outputs { get; init; }

    /// <summary>
    /// The state dict's keys in the class's registration order (parameters, then buffers): where modules register in
    /// another order than they run (<c>register_order</c>, a shortcut written first), the nodes' order is not it.
    /// </summary>
    public EquatableArray<string> StateDictOrder { get; init; }
}

/// <summary>One of the outputs a network with several returns: its YAML name, its value and shape.</summary>
public sealed record GraphNamedOutput(string Name, int Value, TensorShape Shape);

/// <summary>
/// The classifier head (the YAML's <c>head:</c>): its module path, its first node, and whether the network cuts cleanly
/// there (then the generated class has <c>ForwardFeatures</c> and <c>ForwardHead</c>, and the nodes before it are the features).
/// </summary>
public sealed record GraphHead(string Path, int FirstNode, bool Clean);

/// <summary>A model argument: its YAML name, the generated constructor's parameter, its type and default (as the DSL writes it).</summary>
public sealed record GraphArgument(string Name, string CSharpName, string Type, string Default);

/// <summary>A size named once (<c>channels_3</c>) and how it is computed; later expressions refer to it by <see cref="DerivedRef"/>.</summary>
public sealed record DerivedSize(string Name, SizeExpr Definition);

/// <summary>The shape of one sample (no batch dimension): [C, H, W] for a feature map, [F] for a vector; a channels-last map still lists C first.</summary>
public sealed record TensorShape(EquatableArray<Dim> Dims, bool ChannelsLast)
{
    public override string ToString() => string.Join("x", Dims) + (ChannelsLast ? " (channels-last)" : "");
}

/// <summary>
/// One operation of the network.
/// </summary>
/// <param name="Output">The id of the value it computes (unique; ids grow along <see cref="NetworkGraph.Nodes"/>).</param>
/// <param name="Inputs">The ids of the values it reads, in the operation's order.</param>
/// <param name="Shape">The shape of <see cref="Output"/> for one sample.</param>
/// <param name="Path">Its module path: the layer's state-dict prefix (<c>layer1.0.conv1</c>), or its group's for a join (<c>layer1.0</c>).</param>
/// <param name="HasModule">The node owns a module (and so a field and, for most layers, state-dict tensors) at <see cref="Path"/>.</param>
/// <param name="Tensors">Its state-dict tensors under their full keys, in registration order.</param>
/// <param name="TensorsUnknown">A layer written in C#: only its class knows its tensors, all under <see cref="Path"/>.</param>
/// <param name="Site">Where in the YAML it was written.</param>
/// <param name="Blocks">The blocks it was made in, outermost first, each with its instance's module path.</param>
/// <param name="Aux">The aux head it belongs to; null on the main path.</param>
/// <param name="Row">How the layer table (the summary) lists it; null for a join (add, multiply, concat, slice).</param>
public sealed record GraphNode(
    Operation Operation,
    EquatableArray<int> Inputs,
    int Output,
    TensorShape Shape,
    long Parameters,
    long Macs,
    string Path,
    bool HasModule,
    EquatableArray<GraphTensor> Tensors,
    bool TensorsUnknown,
    SourceSpan Site,
    EquatableArray<BlockFrame> Blocks,
    string? Aux,
    GraphRow? Row)
{
    /// <summary>The name the YAML gives <see cref="Output"/> for later entries (a mapping key, or <c>output=</c>; the outermost); null if none.</summary>
    public string? Name { get; init; }
}

/// <summary>A layer's row in the layer table: its name there (a layer without a name of its own is listed under its kind, <c>layer1.0.relu</c>), kind and detail (<c>3x3/2</c>).</summary>
public sealed record GraphRow(string Path, string Type, string Detail);

/// <summary>A state-dict tensor: its full key, its shape and whether it is a parameter, a buffer or BatchNorm's counter.</summary>
public sealed record GraphTensor(string Key, EquatableArray<long> Shape, StateTensorKind Kind);

/// <summary>A block instance a node was made in: the block's YAML name and the instance's module path.</summary>
public sealed record BlockFrame(string Block, string Path);

/// <summary>A named output besides the main one: an aux head's, tapped after the top-level layer <see cref="TappedAt"/>.</summary>
public sealed record GraphOutput(string Name, string TappedAt, int Value, TensorShape Shape)
{
    /// <summary>The head runs in eval mode too (<c>in_eval: true</c>, torchvision's segmentation aux heads), not only in training.</summary>
    public bool InEval { get; init; }
}
