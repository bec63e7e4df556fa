namespace CnnGen.Tool;

/// <summary>
/// How wide a diagram text is drawn in DejaVu Sans (the SVG's first font, Debian's default): the layout
/// must know it to wrap and shorten labels before they run past their boxes, since an SVG text never wraps.
/// The advance widths are DejaVu Sans's own (in em), rounded up; the bold face is about a tenth wider.
/// The rendered-DOM tests measure the real text, so an estimate too small fails there.
/// </summary>
public static class TextWidth
{
    public static double Of(string text, int size, bool bold = false) =>
        text.Sum(Advance) * size * (bold ? 1.1 : 1.0);

    /// <summary>The text cut to <paramref name="width"/> with an ellipsis, or as it is when it fits.</summary>
    public static string Fit(string text, int size, double width, bool bold = false)
    {
        if (Of(text, size, bold) <= width) return text;
        var cut = text.Length;
        while (cut > 1 && Of(text.Substring(0, cut) + "…", size, bold) > width) cut--;
        return text.Substring(0, cut) + "…";
    }

    /// <summary>
    /// <paramref name="items"/> in lines at most <paramref name="width"/> wide, each line's items joined by
    /// <paramref name="separator"/> and ended by its trimmed form (", " ends a line with ","); an item too wide alone is cut.
    /// </summary>
    public static List<string> Wrap(IEnumerable<string> items, string separator, int size, double width)
    {
        var lines = new List<string>();
        foreach (var item in items)
        {
            if (lines.Count > 0 && Of(lines[^1] + separator + item, size) <= width) lines[^1] += separator + item;
            else
            {
                if (lines.Count > 0) lines[^1] += separator.TrimEnd();
                lines.Add(Fit(item, size, width));
            }
        }
        return lines;
    }

    private static double Advance(char c) => c switch
    {
        ' ' or ',' or '.' or ':' or ';' or 'i' or 'j' or 'l' or 'I' or '\'' or '·' => 0.32,
        'f' or 't' or '-' or '/' or '|' or '(' or ')' or '[' or ']' => 0.40,
        'r' => 0.42,
        'c' or 's' or 'z' => 0.56,
        'k' or 'v' or 'x' or 'y' => 0.6,
        'a' or 'e' or 'o' => 0.62,
        'm' => 0.98,
        'w' or 'W' or 'M' => 0.99,
        '>' or '<' or '=' or '+' or '×' => 0.84,
        '…' => 1.0,
        >= '0' and <= '9' => 0.64,
        >= 'A' and <= 'Z' => 0.76,
        _ => 0.64,
    };
}
