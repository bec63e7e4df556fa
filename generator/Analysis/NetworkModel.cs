using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Layers;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// The analysed network: every layer instance with its shape and counts, the module tree (names as
/// in the state dict), and the forward pass as a straight-line list of steps. The emitter turns it
/// into C#; the layer table and a command-line summary read it directly.
/// </summary>
public sealed class NetworkModel
{
    public string ClassName { get; set; } = "";
    public string SourcePath { get; set; } = "";
    public string? Description { get; set; }
    public Shape Input { get; set; } = Shape.Flat(Value.Of(0));
    public Shape? Output { get; set; }
    public List<ModelArgument> Arguments { get; } = new();
    /// <summary>The C# layers (<c>[CnnLayer]</c>) the compilation declares: their constructors' parameter types build them.</summary>
    public IReadOnlyList<CustomLayerSpec> CustomLayers { get; set; } = System.Array.Empty<CustomLayerSpec>();
    /// <summary>Channel counts that depend on model arguments, computed once in the constructor (see <see cref="DerivedValue"/>), in order.</summary>
    public List<DerivedValue> DerivedValues { get; } = new();
    /// <summary>One per dense block: the forward's <c>DenseConcat</c> (see <see cref="DenseBuffer"/>).</summary>
    public List<DenseBuffer> DenseBuffers { get; } = new();
    public ModuleNode Root { get; } = new("", isGroup: true);
    public List<ForwardStep> Steps { get; } = new();
    public TensorVar InputVar { get; } = new(0, isInput: true);
    public TensorVar? OutputVar { get; set; }
    public List<LayerRow> Layers { get; } = new();
    public List<AuxOutput> AuxOutputs { get; } = new();

    /// <summary>The aux heads run in eval mode too (<c>in_eval: true</c>): <c>ForwardWithAux</c> always returns their outputs.</summary>
    public bool AuxInEval { get; set; }

    /// <summary>
    /// The outputs the network returns when <c>outputs:</c> lists several (empty otherwise): the class returns them as a
    /// record, in this order; <see cref="OutputVar"/> is the first.
    /// </summary>
    public List<NamedOutput> NamedOutputs { get; } = new();

    /// <summary>The network returns several outputs (a record), not one tensor.</summary>
    public bool ReturnsRecord => NamedOutputs.Count > 1;

    /// <summary>
    /// The name the YAML gives a tensor for the entries after it (a mapping key, or a list item's <c>output=</c>), the
    /// outermost one given; readers use it to name what they write (the PyTorch export's local variables).
    /// </summary>
    public Dictionary<TensorVar, string> OutputNames { get; } = new();
    /// <summary>The smallest input height and width for which every layer keeps at least one pixel (and branches agree).</summary>
    public (long Height, long Width) MinimumInput { get; set; } = (1, 1);

    /// <summary>A flatten sees the raw feature map, so only the declared input size works.</summary>
    public bool FixedInputSize { get; set; }

    /// <summary>
    /// Joins whose branches' sizes agree only for some inputs (an upsample by a factor meeting other maps): the input sizes
    /// the network accepts are those from <see cref="MinimumInput"/> up at which every one holds.
    /// </summary>
    public List<SizeConstraint> SizeConstraints { get; } = new();

    /// <summary>Whether every size constraint on the height (or width) holds at <paramref name="size"/>.</summary>
    public bool SatisfiesConstraints(long size, bool height)
    {
        foreach (var constraint in SizeConstraints)
            if (constraint.Height == height && !constraint.HoldsAt(size)) return false;
        return true;
    }

    /// <summary>The names in <c>input: [3, H, W]</c>, or null for numbers.</summary>
    public (string? Height, string? Width) InputSymbols { get; set; }

    /// <summary>The classifier head's module path from <c>head:</c> (checked to name a module), or null.</summary>
    public string? HeadPath { get; set; }

    /// <summary>Where the head starts (<see cref="Analysis.HeadCut"/>), once the analysis is done; null without a head.</summary>
    public HeadCut? Head { get; set; }

    /// <summary>The module path of the network's first convolution (the stem), or null when it has none.</summary>
    public string? StemConvPath { get; set; }

    /// <summary>Every aux head the file declares, in order, including those this variant leaves out.</summary>
    public List<string> DeclaredAuxHeads { get; } = new();

    public long ParameterCount { get; set; }
    public long Macs { get; set; }
    public long? PublishedParameters { get; set; }
    public string? PublishedSource { get; set; }

    /// <summary>
    /// The network as a graph of operations (<see cref="Graph.GraphBuilder"/>), built on first use and only for a network
    /// without errors (see <see cref="CompleteWithoutErrors"/>); the emitter writes it into the generated class.
    /// </summary>
    public Graph.NetworkGraph? Graph => _graph?.Value;

    private System.Lazy<Graph.NetworkGraph>? _graph;

    /// <summary>Marks the analysis finished without errors, so <see cref="Graph"/> can be built.</summary>
    public void CompleteWithoutErrors() => _graph = new System.Lazy<Graph.NetworkGraph>(() => Generator.Graph.GraphBuilder.Build(this));

    /// <summary>The state dict the constructor registers (keys, shapes, kinds), from the layers' own declarations.</summary>
    public NetworkStateDict StateDict { get; set; } = NetworkStateDict.Empty;
}

/// <summary>A constructor parameter of the generated class, from the YAML's <c>args</c>.</summary>
public sealed record ModelArgument(string YamlName, string CSharpName, string CSharpType, Value Default);

/// <summary>
/// A dense block's concatenations in the forward: a <c>CnnGen.Runtime.DenseConcat</c> local that writes
/// each feature map once into a block buffer when autograd is off, sized by a field set in the constructor.
/// </summary>
/// <param name="Local">The forward's local, e.g. <c>dense1</c>.</param>
/// <param name="Channels">C# for the block output's channels, valid in the constructor (a literal or a derived local).</param>
public sealed record DenseBuffer(string Local, string Channels)
{
    /// <summary>The field holding those channels for the forward, e.g. <c>_dense1Channels</c>.</summary>
    public string Field => $"_{Local}Channels";
}

/// <summary>
/// A channel count computed from model arguments once, in a constructor local, so later expressions name
/// it instead of repeating it: DenseNet's channels grow by the growth rate at every layer, and written out
/// in full the expression for layer k repeats all earlier terms (quadratic code; DenseNet-201 was 477 KB).
/// </summary>
/// <param name="Name">The local's name, e.g. <c>channels_3</c>.</param>
/// <param name="CSharpType">Its type (the model arguments' integer type).</param>
/// <param name="Definition">How it is computed from model arguments and earlier derived values.</param>
/// <param name="Description">Where the value comes from, for a comment.</param>
public sealed record DerivedValue(string Name, string CSharpType, Expressions.SizeExpr Definition, string Description)
{
    /// <summary>The definition in C#, over the constructor's parameters and earlier derived locals.</summary>
    public string Expression => Expressions.SizeExprPrinter.ToCSharp(Definition);
}

/// <summary>
/// A node of the module tree: a group (a TorchSharp module holding named children, like
/// torchvision's nn.Sequential or a block class) or a leaf with state (conv, bn, linear).
/// </summary>
public sealed class ModuleNode
{
    public ModuleNode(string name, bool isGroup)
    {
        Name = name;
        IsGroup = isGroup;
    }

    public string Name { get; }
    public bool IsGroup { get; }
    public List<ModuleNode> Children { get; } = new();
    public string? Field { get; set; }

    /// <summary>What a leaf computes, with its attributes: the graph operation its construction is printed from (<see cref="Emit.ModuleConstruction"/>).</summary>
    public Graph.Operation? Operation { get; set; }

    /// <summary>The shape a leaf's layer reads (a batch norm on a map is BatchNorm2d, on a vector BatchNorm1d).</summary>
    public Layers.Shape? Input { get; set; }

    /// <summary>A parameter of the enclosing group (<c>register_parameter</c>), not a child module (see <see cref="Layers.LayerResult.IsParameter"/>).</summary>
    public bool IsParameter { get; set; }

    /// <summary>Where the child was written (for a duplicate-name report).</summary>
    public Model.SourceSpan Site { get; set; }

    /// <summary>Index for the next unnamed child, so spliced repetitions keep counting (features.0, .1 ...).</summary>
    public int NextIndex { get; set; }
}

/// <summary>A tensor of the forward pass (SSA: assigned once).</summary>
public sealed class TensorVar
{
    public TensorVar(int id, bool isInput = false)
    {
        Id = id;
        IsInput = isInput;
    }

    public int Id { get; }
    public bool IsInput { get; }

    /// <summary>The tensor may share storage with the forward input (a view of it, or dropout in eval).</summary>
    public bool AliasesInput { get; set; }

    /// <summary>The tensor may share storage with another tensor, so it is never overwritten in place.</summary>
    public bool IsAlias { get; set; }

    /// <summary>Autograd keeps this tensor for the backward pass of the op that produced it (ReLU).</summary>
    public bool SavedByProducer { get; set; }

    public string Name => IsInput ? "input" : $"x{Id}";
}

/// <summary>One call of the forward pass: <c>var x5 = _layer1_0_conv1.forward(x4);</c>.</summary>
public sealed record ForwardStep(TensorVar Output, IReadOnlyList<TensorVar> Inputs, string Template, string? InPlaceTemplate, string Comment)
{
    /// <summary>The layer kind (<c>conv</c>, <c>bn</c> ...) and module field of a layer step; null for adds and concats.</summary>
    public string? Kind { get; init; }

    public string? Field { get; init; }

    /// <summary>See <see cref="Layers.LayerResult.Pointwise"/>.</summary>
    public bool Pointwise { get; init; }

    /// <summary>See <see cref="Layers.ForwardOp.Consuming"/>: <c>{0} = template;</c> when the input is ours and used here last.</summary>
    public string? ConsumingTemplate { get; init; }

    /// <summary>The auxiliary head this step belongs to (it runs only when auxiliary outputs are asked for in training); null for the main path.</summary>
    public string? Aux { get; init; }

    /// <summary>The module path the step belongs to: its layer's (<c>layer1.0.conv1</c>), or its group's for an add, a concat or a gate (<c>layer1.0</c>); empty at the top level.</summary>
    public string Path { get; init; } = "";

    /// <summary>The shape of the step's output for one sample; null when the analysis could not tell.</summary>
    public Shape? OutputShape { get; init; }

    /// <summary>What the step computes, with its attributes: the operation of its node in the network graph.</summary>
    public Graph.Operation? Operation { get; init; }

    /// <summary>Where the step was written: the layer entry, or the <c>residual</c>, <c>concat</c> ... key of a join.</summary>
    public Model.SourceSpan Site { get; init; }

    /// <summary>A layer step's row of the layer table (its parameters, MACs and blocks); null for a join.</summary>
    public LayerRow? Row { get; init; }

    /// <summary>The YAML blocks the step was made in, outermost first (see <see cref="LayerRow.Blocks"/>).</summary>
    public IReadOnlyList<(string Name, string Path)> Blocks { get; init; } = System.Array.Empty<(string, string)>();

    /// <summary>The tensors the step's module registers, under their full state-dict keys; empty for a stateless step, null for a C# layer's.</summary>
    public IReadOnlyList<Layers.StateTensor>? Tensors { get; init; } = System.Array.Empty<Layers.StateTensor>();
}

/// <summary>An auxiliary output (GoogLeNet's aux1, Inception-v3's AuxLogits, a deep-supervision head).</summary>
public sealed record AuxOutput(string Name, string PropertyName, string TappedAt, TensorVar Var, Layers.Shape Shape);

/// <summary>One of the outputs a network with <c>outputs:</c> returns: its YAML name, the record's property, the tensor and its shape.</summary>
public sealed record NamedOutput(string Name, string PropertyName, TensorVar Var, Layers.Shape Shape);

/// <summary>One row of the layer table.</summary>
public sealed record LayerRow(string Path, string Type, string Detail, Shape Output, long Parameters, long Macs)
{
    /// <summary>The output size as formulas of the input size, e.g. <c>64 x floor((H - 1) / 2) + 1 x floor((W - 1) / 2) + 1</c>.</summary>
    public string? Formula { get; init; }

    /// <summary>
    /// The YAML blocks the layer was made in, outermost first, each with the module path of its instance (the
    /// enclosing group's path for a list-bodied block spliced into it): Inception-v4's features.3.conv.conv is
    /// <c>(stem, features), (mixed_3a, features.3), (basic, features.3.conv)</c>. The diagram names its boxes by them.
    /// </summary>
    public IReadOnlyList<(string Name, string Path)> Blocks { get; init; } = System.Array.Empty<(string, string)>();
}
