using System;
using System.Collections.Generic;
using System.Linq;

namespace CnnGen.Runtime;

/// <summary>
/// A generated network as a graph of operations, as the generator analysed it (the same graph <c>cnngen graph --json</c>
/// prints; docs/graph-json.md): values and the nodes that compute them, in the order a forward pass runs them. Value 0
/// is the input; a node reads any earlier values. Every generated class has its graph at the default arguments
/// (<c>ResNet50.Graph</c>) and each instance the graph of its own arguments (<c>GetGraph()</c>). Exporters read it.
/// </summary>
public sealed class NetworkGraph
{
    internal NetworkGraph(
        string className, long[] input, IReadOnlyList<GraphNode> nodes, int output, long[] outputShape,
        IReadOnlyList<GraphAuxOutput> auxOutputs, GraphHeadInfo? head, long parameters, long macs)
    {
        ClassName = className;
        Input = input;
        Nodes = nodes;
        Output = output;
        OutputShape = outputShape;
        AuxOutputs = auxOutputs;
        Head = head;
        Parameters = parameters;
        Macs = macs;
        _byValue = nodes.ToDictionary(node => node.Output);
        LayerTable = nodes.Where(node => node.Row is not null).Select(node => node.Row!).ToArray();
    }

    private readonly Dictionary<int, GraphNode> _byValue;

    /// <summary>The id of the network's input value.</summary>
    public const int InputValue = 0;

    /// <summary>The generated class.</summary>
    public string ClassName { get; }

    /// <summary>One input sample's shape: channels, height, width.</summary>
    public IReadOnlyList<long> Input { get; }

    /// <summary>Every operation in the order a forward pass runs them (aux heads where they tap the trunk).</summary>
    public IReadOnlyList<GraphNode> Nodes { get; }

    /// <summary>The value the network returns.</summary>
    public int Output { get; }

    /// <summary>One output sample's shape.</summary>
    public IReadOnlyList<long> OutputShape { get; }

    /// <summary>Auxiliary heads' outputs (GoogLeNet's aux1), computed only in training.</summary>
    public IReadOnlyList<GraphAuxOutput> AuxOutputs { get; }

    /// <summary>Where the classifier head starts; null for a network without <c>head:</c>.</summary>
    public GraphHeadInfo? Head { get; }

    /// <summary>
    /// What the network returns when its YAML lists several <c>outputs:</c> (its class returns them as a record, in this
    /// order; the first is <see cref="Output"/>); empty for a network that returns one tensor.
    /// </summary>
    public IReadOnlyList<GraphNamedOutput> Outputs { get; init; } = Array.Empty<GraphNamedOutput>();

    /// <summary>The values the network returns: every one of <see cref="Outputs"/>, or <see cref="Output"/> alone.</summary>
    public IReadOnlyList<int> ReturnedValues => Outputs.Count > 0 ? Outputs.Select(output => output.Value).ToArray() : new[] { Output };

    /// <summary>Every layer with its output shape, parameters and MACs (the generated class's <c>LayerTable</c>): the nodes but the joins.</summary>
    public IReadOnlyList<LayerInfo> LayerTable { get; }

    /// <summary>Trainable parameters.</summary>
    public long Parameters { get; }

    /// <summary>Multiply-accumulates of one forward pass for one sample.</summary>
    public long Macs { get; }

    /// <summary>The node that computes <paramref name="value"/>; null for the input.</summary>
    public GraphNode? Producer(int value) => value == InputValue ? null : _byValue[value];

    /// <summary>
    /// The nodes the network's output depends on (aux heads left out), in order: what an eval-mode export writes.
    /// </summary>
    public IReadOnlyList<GraphNode> MainPath()
    {
        var needed = new HashSet<int>(ReturnedValues);
        for (var i = Nodes.Count - 1; i >= 0; i--)
            if (needed.Contains(Nodes[i].Output)) needed.UnionWith(Nodes[i].Inputs);
        return Nodes.Where(node => needed.Contains(node.Output)).ToList();
    }

    /// <summary>How many nodes read each value (each value the network returns counts as one more reader).</summary>
    public IReadOnlyDictionary<int, int> Readers()
    {
        var readers = ReturnedValues.ToDictionary(value => value, _ => 1);
        foreach (var node in Nodes)
            foreach (var input in node.Inputs)
                readers[input] = readers.TryGetValue(input, out var count) ? count + 1 : 1;
        return readers;
    }

    /// <summary>
    /// Reads the text a generated class carries (one line a node; docs/graph-json.md). <paramref name="sizes"/> fills the
    /// sizes that follow the model arguments (<c>1000$0</c> is slot 0, 1000 at the defaults); null keeps the defaults.
    /// </summary>
    /// <exception cref="FormatException">The text is not in the form the generator writes.</exception>
    public static NetworkGraph Parse(string text, double[]? sizes) => GraphText.Parse(text, sizes);

    public override string ToString() => $"{ClassName}: {Nodes.Count} nodes, {Parameters:N0} parameters";
}

/// <summary>An auxiliary head's output: its name, the top-level layer it taps, its value and shape.</summary>
public sealed record GraphAuxOutput(string Name, string TappedAt, int Value, IReadOnlyList<long> Shape);

/// <summary>One of the outputs a network with several returns: its YAML name, its value and shape.</summary>
public sealed record GraphNamedOutput(string Name, int Value, IReadOnlyList<long> Shape);

/// <summary>The classifier head: its module path, its first node's index, and whether the forward cuts cleanly there.</summary>
public sealed record GraphHeadInfo(string Path, int FirstNode, bool Clean);
