using System.Collections;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CnnGen.Generator.Analysis;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Emit;

/// <summary>
/// Gives the generated class its graph: the <see cref="NetworkGraph"/> as one verbatim string, a node a line, which
/// the runtime's <c>NetworkGraph.Parse</c> reads on first use (a string literal is one token for the compiler: a
/// constructor call a node would make the compiler parse ~25 tokens a node, and the driver counts that as generator time). Exporters and other readers outside the build read this, not a second analysis.
/// </summary>
/// <remarks>
/// The form (docs/graph-json.md, "The graph in the generated class"): <c>input|3x224x224</c>, then a line a node
/// <c>value|op|inputs|shape|flags|path|aux|parameters|macs|row path|row type|row detail|attributes</c>
/// (the row fields are the node's layer-table row, empty for a join; the layer table is read off the graph), then <c>output</c>,
/// <c>aux</c>, <c>returns</c> (a network that returns several outputs: <c>returns|name|value|shape</c>), <c>head</c> and <c>totals</c> lines. A size that follows the model arguments is written at its
/// default with a slot, <c>1000$0</c>; <c>GetGraph()</c> fills the slots from the instance's arguments with the
/// same C# expressions the constructor uses, so a network built with 10 classes describes itself with 10. YAML
/// positions stay out (the graph's JSON has them), so an edit that only moves lines changes no generated code.
/// </remarks>
public static class GraphTextEmitter
{
    /// <summary>What an attribute value must not contain unescaped: the separators of every level of the format.</summary>
    private static readonly char[] Special = { '%', '|', '"', '\n', '\r', ';', '=', ',', '[', ']', '{', '}', '$' };

    /// <summary>
    /// The graph's text with its sizes at the defaults (the slots' values written beside them): what readers outside the
    /// build hand to the runtime's <c>NetworkGraph.Parse</c>, as <c>cnngen export</c> does.
    /// </summary>
    public static string Text(NetworkGraph graph) => graph.ClassName + "\n" + string.Join("\n", Lines(graph, new Slots())) + "\n";

    internal static void Write(SourceWriter writer, NetworkModel model)
    {
        var graph = model.Graph!;
        var slots = new Slots();
        var lines = Lines(graph, slots).ToList();
        writer.Line("/// <summary>");
        writer.Line("/// The network as a graph of operations with the default arguments: every node's operation and attributes, inputs,");
        writer.Line("/// output shape and module path, in the order the forward runs them (docs/graph-json.md). What exporters read.");
        writer.Line("/// </summary>");
        writer.Line("public static NetworkGraph Graph => s_graph.Value;");
        writer.Line();
        writer.Line("/// <summary>This instance's graph: <see cref=\"Graph\"/> with the sizes that follow the model arguments at the values it was built with.</summary>");
        if (slots.Count == 0) writer.Line("public NetworkGraph GetGraph() => s_graph.Value;");
        else
        {
            writer.Open("public NetworkGraph GetGraph()");
            foreach (var derived in ClassifierEmitter.NeededDerivedValues(model, slots.Expressions))
                writer.Line($"{derived.CSharpType} {derived.Name} = {derived.Expression};");
            writer.Line($"return NetworkGraph.Parse(s_graphText, new double[] {{ {string.Join(", ", slots.Expressions.Select(expr => expr.ToCSharp()))} }});");
            writer.Close();
        }
        writer.Line();
        writer.Line($"private static readonly System.Lazy<NetworkGraph> s_graph = new System.Lazy<NetworkGraph>(() => NetworkGraph.Parse(s_graphText, null));");
        writer.Line();
        writer.Line($"private const string s_graphText = @\"{graph.ClassName}");
        writer.Indent();
        foreach (var line in lines) writer.Line(line);
        writer.Outdent();
        writer.Line("\";");
        writer.Line();
    }

    private static IEnumerable<string> Lines(NetworkGraph graph, Slots slots)
    {
        yield return "input|" + Shape(graph.Input, slots);
        foreach (var node in graph.Nodes)
        {
            var flags = (node.HasModule ? "m" : "") + (node.Shape.ChannelsLast ? "c" : "") + (node.TensorsUnknown ? "t" : "");
            yield return string.Join("|",
                Number(node.Output), node.Operation.Kind, string.Join(",", node.Inputs.Select(input => Number(input))), Shape(node.Shape, slots), flags,
                Escape(node.Path), Escape(node.Aux ?? ""),
                Number(node.Parameters), Number(node.Macs),
                Escape(node.Row?.Path ?? ""), Escape(node.Row?.Type ?? ""), Escape(node.Row?.Detail ?? ""),
                Attributes(node.Operation, slots));
        }
        yield return $"output|{Number(graph.Output)}|{Shape(graph.OutputShape, slots)}";
        foreach (var aux in graph.AuxOutputs)
            yield return $"aux|{Escape(aux.Name)}|{Escape(aux.TappedAt)}|{Number(aux.Value)}|{Shape(aux.Shape, slots)}";
        foreach (var output in graph.Outputs)
            yield return $"returns|{Escape(output.Name)}|{Number(output.Value)}|{Shape(output.Shape, slots)}";
        if (graph.Head is { } head) yield return $"head|{Escape(head.Path)}|{Number(head.FirstNode)}|{(head.Clean ? 1 : 0)}";
        yield return $"totals|{Number(graph.Parameters)}|{Number(graph.Macs)}";
    }

    private static string Shape(TensorShape shape, Slots slots) => string.Join("x", shape.Dims.Select(dim => Value(dim, slots)));

    private static string Attributes(object record, Slots slots) =>
        string.Join(";", OperationAttributes.Of(record).Select(attribute => attribute.Name + "=" + Value(attribute.Value, slots)));

    private static string Value(object? value, Slots slots) => value switch
    {
        null => "",
        bool flag => flag ? "true" : "false",
        int number => Number(number),
        long number => Number(number),
        double number => number.ToString("R", CultureInfo.InvariantCulture),
        string text => Escape(text),
        SizeExpr expr => Escape(expr.ToDsl()),
        Dim { Expr: null } dim => Number(dim.Value),
        Dim dim => Number(dim.Value) + "$" + Number(slots.Of(dim.Expr)),
        Scalar { Expr: null } scalar => scalar.Value.ToString("R", CultureInfo.InvariantCulture),
        Scalar scalar => scalar.Value.ToString("R", CultureInfo.InvariantCulture) + "$" + Number(slots.Of(scalar.Expr)),
        Pair pair => Number(pair.H) + "," + Number(pair.W),
        IEnumerable items => "[" + string.Join(",", items.Cast<object?>().Select(item => Value(item, slots))) + "]",
        _ => "{" + Attributes(value, slots) + "}",
    };

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>Percent-escapes the separators (<c>%7C</c> for a bar); everything else stays readable.</summary>
    private static string Escape(string text)
    {
        if (text.IndexOfAny(Special) < 0) return text;
        var builder = new System.Text.StringBuilder(text.Length + 8);
        foreach (var c in text)
        {
            if (System.Array.IndexOf(Special, c) >= 0) builder.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else builder.Append(c);
        }
        return builder.ToString();
    }

    /// <summary>The expressions over model arguments, each numbered once by its first use.</summary>
    private sealed class Slots
    {
        private readonly Dictionary<SizeExpr, int> _index = new();

        public List<SizeExpr> Expressions { get; } = new();

        public int Count => Expressions.Count;

        public int Of(SizeExpr expr)
        {
            if (_index.TryGetValue(expr, out var slot)) return slot;
            _index[expr] = Expressions.Count;
            Expressions.Add(expr);
            return Expressions.Count - 1;
        }
    }
}
