using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Text;

namespace CnnGen.Runtime;

/// <summary>One row of a generated network's layer table (inferred at compile time).</summary>
/// <param name="Path">The layer's state-dict path, e.g. <c>layer3.1.conv2</c>.</param>
/// <param name="Type">The DSL layer kind, e.g. <c>conv</c>.</param>
/// <param name="Detail">Kernel/stride and the like, e.g. <c>3x3/2</c>.</param>
/// <param name="OutputShape">The shape of one output sample.</param>
/// <param name="Parameters">Trainable parameters.</param>
/// <param name="Macs">Multiply-accumulates for one sample.</param>
public sealed record LayerInfo(string Path, string Type, string Detail, long[] OutputShape, long Parameters, long Macs)
{
    public string Shape => string.Join("x", OutputShape.Select(d => d.ToString(CultureInfo.InvariantCulture)));

    /// <summary>
    /// Reads the layer table a generated class carries as text: one layer a line,
    /// <c>path|type|detail|shape|parameters|macs</c> (shape <c>64x56x56</c>), each field percent-escaped
    /// (<c>%7C</c> for a bar, <c>%25</c> for a percent sign, <c>%0A</c> for a line break); blank lines and the
    /// lines' indentation are ignored.
    /// </summary>
    /// <remarks>
    /// The generator writes the table as one string rather than one constructor call a layer because the
    /// compiler parses a string literal in a fraction of the time it takes for ~25 tokens a row, and the
    /// driver counts that parsing as generator time (DenseNet-201 has 700 rows).
    /// </remarks>
    /// <exception cref="FormatException">A line does not have six fields or a number does not parse.</exception>
    public static LayerInfo[] ParseTable(string table)
    {
        var rows = new List<LayerInfo>();
        var lineNumber = 0;
        foreach (var rawLine in table.Split('\n'))
        {
            lineNumber++;
            var line = rawLine.Trim();
            if (line.Length == 0) continue;
            var fields = line.Split('|');
            if (fields.Length != 6)
                throw new FormatException($"Layer table line {lineNumber} has {fields.Length} fields, not 6 (path|type|detail|shape|parameters|macs): '{line}'");
            for (var i = 0; i < fields.Length; i++)
                if (fields[i].IndexOf('%') >= 0) fields[i] = Uri.UnescapeDataString(fields[i]);
            rows.Add(new LayerInfo(fields[0], fields[1], fields[2], ParseShape(fields[3], lineNumber),
                ParseLong(fields[4], lineNumber), ParseLong(fields[5], lineNumber)));
        }
        return rows.ToArray();
    }

    private static long[] ParseShape(string shape, int lineNumber) =>
        shape.Length == 0 ? Array.Empty<long>() : shape.Split('x').Select(d => ParseLong(d, lineNumber)).ToArray();

    private static long ParseLong(string text, int lineNumber) =>
        long.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value)
            ? value
            : throw new FormatException($"Layer table line {lineNumber}: '{text}' is not a whole number.");

    /// <summary>Formats a layer table with totals, like Keras' <c>model.summary()</c>.</summary>
    public static string Format(string title, IReadOnlyList<LayerInfo> layers, long parameters, long macs)
    {
        var pathWidth = System.Math.Max(5, layers.Count == 0 ? 0 : layers.Max(l => l.Path.Length));
        var typeWidth = System.Math.Max(4, layers.Count == 0 ? 0 : layers.Max(l => (l.Type + " " + l.Detail).Trim().Length));
        var shapeWidth = System.Math.Max(6, layers.Count == 0 ? 0 : layers.Max(l => l.Shape.Length));
        var builder = new StringBuilder();
        builder.AppendLine(title);
        var header = $"{"Layer".PadRight(pathWidth)}  {"Type".PadRight(typeWidth)}  {"Output".PadRight(shapeWidth)}  {"Params",13}  {"MACs",15}";
        builder.AppendLine(header);
        builder.AppendLine(new string('-', header.Length));
        foreach (var layer in layers)
        {
            builder.Append(layer.Path.PadRight(pathWidth)).Append("  ")
                .Append((layer.Type + " " + layer.Detail).Trim().PadRight(typeWidth)).Append("  ")
                .Append(layer.Shape.PadRight(shapeWidth)).Append("  ")
                .Append(layer.Parameters.ToString("N0", CultureInfo.InvariantCulture).PadLeft(13)).Append("  ")
                .AppendLine(layer.Macs.ToString("N0", CultureInfo.InvariantCulture).PadLeft(15));
        }
        builder.AppendLine(new string('-', header.Length));
        builder.AppendLine($"Total parameters: {parameters.ToString("N0", CultureInfo.InvariantCulture)}");
        builder.AppendLine($"Total MACs:       {macs.ToString("N0", CultureInfo.InvariantCulture)}");
        return builder.ToString();
    }
}
