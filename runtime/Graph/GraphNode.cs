using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace CnnGen.Runtime;

/// <summary>
/// One operation of a <see cref="NetworkGraph"/>: its kind (<c>conv</c>, <c>bn</c>, <c>add</c>; docs/graph-json.md lists
/// them with their attributes), its inputs, the value it computes and that value's shape, its module path (the
/// state-dict prefix of its tensors) and its layer-table row. Attributes are read by name with the typed getters.
/// </summary>
public sealed class GraphNode
{
    internal GraphNode(
        string op, int[] inputs, int output, long[] shape, bool channelsLast, string path, bool hasModule, bool tensorsUnknown,
        string? aux, long parameters, long macs, LayerInfo? row, IReadOnlyDictionary<string, GraphAttribute> attributes)
    {
        Op = op;
        Inputs = inputs;
        Output = output;
        Shape = shape;
        ChannelsLast = channelsLast;
        Path = path;
        HasModule = hasModule;
        TensorsUnknown = tensorsUnknown;
        Aux = aux;
        Parameters = parameters;
        Macs = macs;
        Row = row;
        Attributes = attributes;
    }

    /// <summary>The operation's name: <c>conv</c>, <c>bn</c>, <c>activation</c>, <c>add</c>, <c>concat</c> ...</summary>
    public string Op { get; }

    /// <summary>The values it reads, in the operation's order.</summary>
    public IReadOnlyList<int> Inputs { get; }

    /// <summary>The value it computes.</summary>
    public int Output { get; }

    /// <summary>The output's shape for one sample ([C, H, W] or [F]; a channels-last map still lists C first).</summary>
    public IReadOnlyList<long> Shape { get; }

    /// <summary>The output is a map held channels-last (inside ConvNeXt's blocks).</summary>
    public bool ChannelsLast { get; }

    /// <summary>The module path: the layer's state-dict prefix (<c>layer1.0.conv1</c>), or its group's for a join.</summary>
    public string Path { get; }

    /// <summary>The node owns a module at <see cref="Path"/>.</summary>
    public bool HasModule { get; }

    /// <summary>A layer written in C#: only its class knows its tensors.</summary>
    public bool TensorsUnknown { get; }

    /// <summary>The aux head it belongs to; null on the main path.</summary>
    public string? Aux { get; }

    /// <summary>Its trainable parameters.</summary>
    public long Parameters { get; }

    /// <summary>Its multiply-accumulates for one sample.</summary>
    public long Macs { get; }

    /// <summary>Its row in the layer table (the summary); null for a join (add, multiply, concat, slice).</summary>
    public LayerInfo? Row { get; }

    /// <summary>Its attributes by name (snake_case, as in the graph's JSON).</summary>
    public IReadOnlyDictionary<string, GraphAttribute> Attributes { get; }

    /// <summary>A state-dict key of this node's module: <c>Key("weight")</c> is <c>layer1.0.conv1.weight</c>.</summary>
    public string Key(string name) => Path.Length == 0 ? name : Path + "." + name;

    public long Long(string name) => Attribute(name).AsLong();

    public int Int(string name) => checked((int)Attribute(name).AsLong());

    public double Double(string name) => Attribute(name).AsDouble();

    public bool Bool(string name) => Attribute(name).AsBool();

    public string Text(string name) => Attribute(name).Text;

    /// <summary>A (height, width) attribute: kernel, stride, padding, dilation.</summary>
    public (long H, long W) Pair(string name)
    {
        var items = Attribute(name).Items;
        if (items.Count != 2) throw new FormatException($"{Describe()}: attribute '{name}' is not a pair");
        return (items[0].AsLong(), items[1].AsLong());
    }

    public GraphAttribute Attribute(string name) =>
        Attributes.TryGetValue(name, out var value) ? value : throw new KeyNotFoundException($"{Describe()} has no attribute '{name}'");

    /// <summary>How messages name the node: its operation, value and module path.</summary>
    public string Describe() => $"'{Op}' node {Output} at {(Path.Length == 0 ? "the top level" : Path)}";

    public override string ToString() => $"{Output} = {Op}({string.Join(", ", Inputs)}) {string.Join("x", Shape)} {Path}";
}

/// <summary>
/// An attribute value as the graph text writes it: a number, a flag, a name, or a list (a pair, LeNet-5's connection
/// table) or record (a C# layer's argument) of values.
/// </summary>
public sealed class GraphAttribute
{
    internal GraphAttribute(string text, IReadOnlyList<GraphAttribute>? items = null, IReadOnlyDictionary<string, GraphAttribute>? fields = null)
    {
        Text = text;
        _items = items;
        _fields = fields;
    }

    private readonly IReadOnlyList<GraphAttribute>? _items;
    private readonly IReadOnlyDictionary<string, GraphAttribute>? _fields;

    /// <summary>The value's text (a list's or record's as written).</summary>
    public string Text { get; }

    /// <summary>A list's items (a pair is a list of two).</summary>
    public IReadOnlyList<GraphAttribute> Items => _items ?? throw new FormatException($"'{Text}' is not a list");

    /// <summary>A record's fields.</summary>
    public IReadOnlyDictionary<string, GraphAttribute> Fields => _fields ?? throw new FormatException($"'{Text}' is not a record");

    public long AsLong() => long.TryParse(Text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value)
        ? value : throw new FormatException($"'{Text}' is not an integer");

    public double AsDouble() => double.TryParse(Text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value)
        ? value : throw new FormatException($"'{Text}' is not a number");

    public bool AsBool() => Text switch
    {
        "true" => true,
        "false" => false,
        _ => throw new FormatException($"'{Text}' is not true or false"),
    };

    public override string ToString() => Text;
}
