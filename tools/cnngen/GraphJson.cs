using System.Collections;
using System.Text.Json;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Tool;

/// <summary>
/// Writes a <see cref="NetworkGraph"/> as JSON (<c>cnngen graph</c>), in the form docs/graph-json.md describes, with
/// System.Text.Json's writer. An operation's attributes are its record's properties (OperationAttributes), so a new
/// layer kind's operation appears without a change here.
/// </summary>
public static class GraphJson
{
    /// <summary>The format's name and version, the first property of every file.</summary>
    public const string Format = "cnngen-graph/1";

    public static void Write(NetworkGraph graph, Stream stream)
    {
        using var json = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
        json.WriteStartObject();
        json.WriteString("format", Format);
        json.WriteString("class", graph.ClassName);
        json.WriteString("source", graph.SourcePath);
        json.WriteStartArray("arguments");
        foreach (var argument in graph.Arguments)
        {
            json.WriteStartObject();
            json.WriteString("name", argument.Name);
            json.WriteString("csharp_name", argument.CSharpName);
            json.WriteString("type", argument.Type);
            json.WriteString("default", argument.Default);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WriteStartArray("derived_sizes");
        foreach (var derived in graph.DerivedSizes)
        {
            json.WriteStartObject();
            json.WriteString("name", derived.Name);
            json.WriteString("definition", derived.Definition.ToDsl());
            json.WriteEndObject();
        }
        json.WriteEndArray();
        json.WritePropertyName("input");
        WriteValue(json, NetworkGraph.InputValue, graph.Input);
        json.WriteStartArray("nodes");
        foreach (var node in graph.Nodes) WriteNode(json, node);
        json.WriteEndArray();
        json.WritePropertyName("output");
        WriteValue(json, graph.Output, graph.OutputShape);
        if (graph.Outputs.Count > 0)
        {
            // A network that returns several outputs: each with the name its record and ONNX file give it.
            json.WriteStartArray("outputs");
            foreach (var output in graph.Outputs) WriteValue(json, output.Value, output.Shape, output.Name);
            json.WriteEndArray();
        }
        json.WriteStartArray("aux_outputs");
        foreach (var aux in graph.AuxOutputs)
        {
            json.WriteStartObject();
            json.WriteString("name", aux.Name);
            json.WriteString("tapped_at", aux.TappedAt);
            json.WriteBoolean("in_eval", aux.InEval);
            json.WriteNumber("value", aux.Value);
            json.WritePropertyName("shape");
            WriteShape(json, aux.Shape);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (graph.Head is { } head)
        {
            json.WriteStartObject("head");
            json.WriteString("path", head.Path);
            json.WriteNumber("first_node", head.FirstNode);
            json.WriteBoolean("clean", head.Clean);
            json.WriteEndObject();
        }
        json.WriteNumber("parameters", graph.Parameters);
        json.WriteNumber("macs", graph.Macs);
        if (graph.PublishedParameters is { } published)
        {
            json.WriteStartObject("published");
            json.WriteNumber("parameters", published);
            if (graph.PublishedSource is { } source) json.WriteString("source", source);
            json.WriteEndObject();
        }
        json.WriteEndObject();
    }

    private static void WriteValue(Utf8JsonWriter json, int id, TensorShape shape, string? name = null)
    {
        json.WriteStartObject();
        if (name is not null) json.WriteString("name", name);
        json.WriteNumber("value", id);
        json.WritePropertyName("shape");
        WriteShape(json, shape);
        if (shape.ChannelsLast) json.WriteBoolean("channels_last", true);
        json.WriteEndObject();
    }

    private static void WriteNode(Utf8JsonWriter json, GraphNode node)
    {
        json.WriteStartObject();
        json.WriteNumber("value", node.Output);
        if (node.Name is not null) json.WriteString("name", node.Name);
        json.WriteString("op", node.Operation.Kind);
        json.WriteStartObject("attributes");
        foreach (var (name, value) in OperationAttributes.Of(node.Operation))
        {
            json.WritePropertyName(name);
            WriteAttribute(json, value);
        }
        json.WriteEndObject();
        json.WriteStartArray("inputs");
        foreach (var input in node.Inputs) json.WriteNumberValue(input);
        json.WriteEndArray();
        json.WritePropertyName("shape");
        WriteShape(json, node.Shape);
        if (node.Shape.ChannelsLast) json.WriteBoolean("channels_last", true);
        json.WriteNumber("parameters", node.Parameters);
        json.WriteNumber("macs", node.Macs);
        json.WriteString("path", node.Path);
        json.WriteBoolean("module", node.HasModule);
        if (node.TensorsUnknown) json.WriteNull("tensors");
        else
        {
            json.WriteStartArray("tensors");
            foreach (var tensor in node.Tensors)
            {
                json.WriteStartObject();
                json.WriteString("key", tensor.Key);
                json.WriteStartArray("shape");
                foreach (var size in tensor.Shape) json.WriteNumberValue(size);
                json.WriteEndArray();
                json.WriteString("kind", tensor.Kind.ToString().ToLowerInvariant());
                json.WriteEndObject();
            }
            json.WriteEndArray();
        }
        json.WriteStartObject("site");
        json.WriteNumber("line", node.Site.StartLine + 1);
        json.WriteNumber("column", node.Site.StartColumn + 1);
        json.WriteEndObject();
        json.WriteStartArray("blocks");
        foreach (var frame in node.Blocks)
        {
            json.WriteStartObject();
            json.WriteString("block", frame.Block);
            json.WriteString("path", frame.Path);
            json.WriteEndObject();
        }
        json.WriteEndArray();
        if (node.Aux is { } aux) json.WriteString("aux", aux);
        json.WriteEndObject();
    }

    private static void WriteShape(Utf8JsonWriter json, TensorShape shape)
    {
        json.WriteStartArray();
        foreach (var dim in shape.Dims) WriteAttribute(json, dim);
        json.WriteEndArray();
    }

    /// <summary>A size that depends on model arguments is <c>{"value": 1000, "expr": "num_classes"}</c>; a fixed one a plain number.</summary>
    private static void WriteAttribute(Utf8JsonWriter json, object? value)
    {
        switch (value)
        {
            case null: json.WriteNullValue(); break;
            case bool flag: json.WriteBooleanValue(flag); break;
            case int number: json.WriteNumberValue(number); break;
            case long number: json.WriteNumberValue(number); break;
            case double number: json.WriteNumberValue(number); break;
            case string text: json.WriteStringValue(text); break;
            case SizeExpr expr: json.WriteStringValue(expr.ToDsl()); break;
            case Dim { Expr: null } dim: json.WriteNumberValue(dim.Value); break;
            case Dim dim:
                json.WriteStartObject();
                json.WriteNumber("value", dim.Value);
                json.WriteString("expr", dim.Expr.ToDsl());
                json.WriteEndObject();
                break;
            case Scalar { Expr: null } scalar: json.WriteNumberValue(scalar.Value); break;
            case Scalar scalar:
                json.WriteStartObject();
                json.WriteNumber("value", scalar.Value);
                json.WriteString("expr", scalar.Expr.ToDsl());
                json.WriteEndObject();
                break;
            case Pair pair:
                json.WriteStartArray();
                json.WriteNumberValue(pair.H);
                json.WriteNumberValue(pair.W);
                json.WriteEndArray();
                break;
            case IEnumerable items:
                json.WriteStartArray();
                foreach (var item in items) WriteAttribute(json, item);
                json.WriteEndArray();
                break;
            default:
                // A record of the operation's own (a C# layer's argument): its properties as an object.
                json.WriteStartObject();
                foreach (var (name, item) in OperationAttributes.Of(value))
                {
                    json.WritePropertyName(name);
                    WriteAttribute(json, item);
                }
                json.WriteEndObject();
                break;
        }
    }
}
