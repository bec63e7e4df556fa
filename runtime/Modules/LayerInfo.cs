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
