using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CnnGen.Generator.Analysis;

namespace CnnGen.Generator.Emit;

/// <summary>
/// Writes the layer table as one verbatim string, one layer a line (<c>path|type|detail|shape|parameters|macs</c>),
/// which the runtime's <c>LayerInfo.ParseTable</c> reads on first use.
/// </summary>
/// <remarks>
/// A constructor call a row made the table a third of all tokens the compiler had to parse for the
/// zoo (181,000 of 600,000), and the driver counts that parsing as generator time; a string literal
/// is one token. Fields are percent-escaped so no name or detail can break the format.
/// </remarks>
internal static class LayerTableText
{
    public static void Write(SourceWriter writer, IReadOnlyList<LayerRow> layers)
    {
        writer.Line("private static readonly LayerInfo[] s_layerTable = LayerInfo.ParseTable(@\"");
        writer.Indent();
        foreach (var row in layers)
        {
            var shape = string.Join("x", row.Output.Concrete.Select(d => d.ToString(CultureInfo.InvariantCulture)));
            writer.Line(string.Join("|",
                Escape(row.Path), Escape(row.Type), Escape(row.Detail), shape,
                row.Parameters.ToString(CultureInfo.InvariantCulture), row.Macs.ToString(CultureInfo.InvariantCulture)));
        }
        writer.Outdent();
        writer.Line("\");");
    }

    /// <summary>Percent-escapes what the format or the verbatim string would misread; everything else stays readable.</summary>
    private static string Escape(string field)
    {
        if (field.IndexOfAny(Special) < 0) return field;
        var builder = new System.Text.StringBuilder(field.Length + 8);
        foreach (var c in field)
        {
            if (Array.IndexOf(Special, c) >= 0) builder.Append('%').Append(((int)c).ToString("X2", CultureInfo.InvariantCulture));
            else builder.Append(c);
        }
        return builder.ToString();
    }

    private static readonly char[] Special = { '%', '|', '"', '\n', '\r' };
}
