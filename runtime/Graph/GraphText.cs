using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;

namespace CnnGen.Runtime;

/// <summary>
/// Reads the graph text the generator writes into every class (generator/Emit/GraphTextEmitter.cs; the form is in
/// docs/graph-json.md): the class name, <c>input|C x H x W</c>, a line a node, then <c>output</c>, <c>aux</c>, <c>returns</c>, <c>head</c>
/// and <c>totals</c>. Fields are percent-escaped where they could hold a separator.
/// </summary>
internal static class GraphText
{
    public static NetworkGraph Parse(string text, double[]? sizes)
    {
        var lines = text.Split('\n').Select(line => line.Trim()).Where(line => line.Length > 0).ToList();
        if (lines.Count < 3) throw new FormatException("A graph text has a class name, an input line and an output line");
        var className = lines[0];
        long[]? input = null;
        long[]? outputShape = null;
        var output = -1;
        var nodes = new List<GraphNode>();
        var aux = new List<GraphAuxOutput>();
        var returns = new List<GraphNamedOutput>();
        GraphHeadInfo? head = null;
        long parameters = 0, macs = 0;
        for (var i = 1; i < lines.Count; i++)
        {
            var fields = lines[i].Split('|');
            try
            {
                switch (fields[0])
                {
                    case "input": input = Shape(fields[1], sizes); break;
                    case "output": output = Int(fields[1]); outputShape = Shape(fields[2], sizes); break;
                    case "aux": aux.Add(new GraphAuxOutput(Unescape(fields[1]), Unescape(fields[2]), Int(fields[3]), Shape(fields[4], sizes))); break;
                    case "returns": returns.Add(new GraphNamedOutput(Unescape(fields[1]), Int(fields[2]), Shape(fields[3], sizes))); break;
                    case "head": head = new GraphHeadInfo(Unescape(fields[1]), Int(fields[2]), fields[3] == "1"); break;
                    case "totals": parameters = Long(fields[1]); macs = Long(fields[2]); break;
                    default: nodes.Add(Node(fields, sizes)); break;
                }
            }
            catch (Exception e) when (e is FormatException or IndexOutOfRangeException or OverflowException)
            {
                throw new FormatException($"{className}'s graph, line {i + 1} ('{lines[i]}'): {e.Message}", e);
            }
        }
        if (input is null || outputShape is null) throw new FormatException($"{className}'s graph has no input or output line");
        return new NetworkGraph(className, input, nodes, output, outputShape, aux, head, parameters, macs) { Outputs = returns };
    }

    private static GraphNode Node(string[] fields, double[]? sizes)
    {
        if (fields.Length != 13) throw new FormatException($"a node line has 13 fields, not {fields.Length}");
        var flags = fields[4];
        var attributes = new Dictionary<string, GraphAttribute>(StringComparer.Ordinal);
        foreach (var attribute in SplitTopLevel(fields[12], ';'))
        {
            var equals = attribute.IndexOf('=');
            if (equals <= 0) throw new FormatException($"attribute '{attribute}' has no name");
            attributes[attribute.Substring(0, equals)] = Value(attribute.Substring(equals + 1), sizes);
        }
        var shape = Shape(fields[3], sizes);
        var parameters = Long(fields[7]);
        var macs = Long(fields[8]);
        var row = fields[10].Length == 0 ? null : new LayerInfo(Unescape(fields[9]), Unescape(fields[10]), Unescape(fields[11]), shape, parameters, macs);
        return new GraphNode(
            fields[1],
            fields[2].Length == 0 ? Array.Empty<int>() : fields[2].Split(',').Select(Int).ToArray(),
            Int(fields[0]),
            shape,
            flags.Contains('c'),
            Unescape(fields[5]),
            flags.Contains('m'),
            flags.Contains('t'),
            fields[6].Length == 0 ? null : Unescape(fields[6]),
            parameters,
            macs,
            row,
            attributes);
    }

    private static GraphAttribute Value(string text, double[]? sizes)
    {
        if (text.StartsWith("[", StringComparison.Ordinal) && text.EndsWith("]", StringComparison.Ordinal))
            return new GraphAttribute(text, SplitTopLevel(text.Substring(1, text.Length - 2), ',').Select(item => Value(item, sizes)).ToList());
        if (text.StartsWith("{", StringComparison.Ordinal) && text.EndsWith("}", StringComparison.Ordinal))
        {
            var fields = new Dictionary<string, GraphAttribute>(StringComparer.Ordinal);
            foreach (var field in SplitTopLevel(text.Substring(1, text.Length - 2), ';'))
            {
                var equals = field.IndexOf('=');
                fields[field.Substring(0, equals)] = Value(field.Substring(equals + 1), sizes);
            }
            return new GraphAttribute(text, fields: fields);
        }
        if (text.IndexOf(',') >= 0) return new GraphAttribute(text, text.Split(',').Select(item => Value(item, sizes)).ToList());
        return new GraphAttribute(Sized(text, sizes));
    }

    /// <summary><c>1000$0</c>: 1000 at the defaults, slot 0 of <paramref name="sizes"/> otherwise.</summary>
    private static string Sized(string text, double[]? sizes)
    {
        var dollar = text.IndexOf('$');
        if (dollar < 0) return Unescape(text);
        if (sizes is null) return text.Substring(0, dollar);
        var slot = Int(text.Substring(dollar + 1));
        if (slot >= sizes.Length) throw new FormatException($"size slot {slot} is missing (the class passes {sizes.Length})");
        return sizes[slot].ToString("R", CultureInfo.InvariantCulture);
    }

    private static long[] Shape(string text, double[]? sizes) =>
        text.Length == 0 ? Array.Empty<long>() : text.Split('x').Select(dim => Long(Sized(dim, sizes))).ToArray();

    /// <summary>Splits on <paramref name="separator"/> outside brackets and braces.</summary>
    private static IEnumerable<string> SplitTopLevel(string text, char separator)
    {
        if (text.Length == 0) yield break;
        var depth = 0;
        var start = 0;
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c is '[' or '{') depth++;
            else if (c is ']' or '}') depth--;
            else if (c == separator && depth == 0)
            {
                yield return text.Substring(start, i - start);
                start = i + 1;
            }
        }
        yield return text.Substring(start);
    }

    private static string Unescape(string text) => text.IndexOf('%') >= 0 ? Uri.UnescapeDataString(text) : text;

    private static int Int(string text) => int.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);

    private static long Long(string text) => long.Parse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture);
}
