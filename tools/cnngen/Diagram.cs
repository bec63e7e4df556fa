using System.Globalization;
using System.Security;
using System.Text;
using CnnGen.Generator.Analysis;

namespace CnnGen.Tool;

/// <summary>
/// A compact SVG of a network in the spirit of the papers' figures: the stem's layers in one box,
/// then one box per block with its kind (residual, concat of N branches, split, dense), repeated blocks of
/// the same structure drawn once with an "xN" badge, branches fanned out side by side (a split's identity
/// part empty), a gate's scale path in a row of its own with the product drawn on the left, residual
/// skips as arrows on the right, each box's output shape on the edge below it, and the parameter count
/// in the title. <see cref="DiagramBoxes"/> decides the boxes.
/// </summary>
public static class Diagram
{
    private const int Width = 520;
    private const int BoxWidth = 400;
    private const int Left = (Width - BoxWidth) / 2;

    public static string Render(NetworkModel model)
    {
        var boxes = Collapse(DiagramBoxes.Build(model));
        var svg = new StringBuilder();
        var y = 70;
        var body = new StringBuilder();
        foreach (var box in boxes)
        {
            // Rows below the title and kind lines: the notes line, the branches, the gate's scale path.
            var notes = box.Notes is null ? new List<string>() : Wrap(box.Notes, 62);
            var notesAt = 46;
            var branchesAt = notesAt + 15 * notes.Count + (notes.Count > 0 ? 1 : 0);
            var gateAt = branchesAt + (box.Branches.Count > 0 ? 40 : 0);
            var height = gateAt + (box.Gate is null ? 0 : 36) + (box.Branches.Count == 0 && box.Gate is null ? 4 : 0);
            body.Append(Rect(Left, y, BoxWidth, height, box.Residual ? "#eef5ff" : box.Branches.Count > 0 ? "#fff6e8" : box.Gate is not null ? "#f0f8ec" : "#f2f2f2"));
            body.Append(Text(Left + 12, y + 21, Shorten(box.Title, box.Repeats > 1 ? 40 : 46), 14, "bold"));
            body.Append(Text(Left + 12, y + 40, box.Kind, 12, "normal", "#444"));
            for (var i = 0; i < notes.Count; i++) body.Append(Text(Left + 12, y + notesAt + 11 + 15 * i, notes[i], 11, "normal", "#555"));
            if (box.Repeats > 1)
            {
                body.Append(Rect(Left + BoxWidth - 58, y + 8, 46, 24, "#2b5797", 12));
                body.Append(Text(Left + BoxWidth - 35, y + 25, $"x{box.Repeats}", 14, "bold", "#fff", "middle"));
            }
            if (box.Branches.Count > 0)
            {
                // Branches fanned out side by side, joined by the concatenation below; a split's identity
                // part passes through, so it is drawn empty.
                var count = Math.Min(box.Branches.Count, 6);
                var branchWidth = (BoxWidth - 24 - (count - 1) * 6) / count;
                for (var i = 0; i < count; i++)
                {
                    var x = Left + 12 + i * (branchWidth + 6);
                    body.Append(Rect(x, y + branchesAt + 4, branchWidth, 26, box.Branches[i] == "identity" ? "#ffffff" : "#ffe2b8", 4));
                    body.Append(Text(x + branchWidth / 2, y + branchesAt + 21, Shorten(box.Branches[i], branchWidth / 7), 10, "normal", "#333", "middle"));
                }
            }
            if (box.Gate is not null)
            {
                // The scale sub-network, and on the left the gated path around it into the product.
                body.Append(Rect(Left + 12, y + gateAt + 4, BoxWidth - 24, 26, "#d8efd0", 4));
                body.Append(Text(Left + 20, y + gateAt + 21, Shorten(box.Gate, 64), 10, "normal", "#333"));
                var x = Left;
                body.Append($"<path d=\"M {x} {y + 6} C {x - 34} {y + 6}, {x - 34} {y + gateAt + 17}, {x - 4} {y + gateAt + 17}\" fill=\"none\" stroke=\"#3c7a2e\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>\n");
                body.Append(Text(x - 30, y + (gateAt + 23) / 2 + 4, "×", 14, "bold", "#3c7a2e", "middle"));
            }
            if (box.Residual)
            {
                // The skip connection around the block.
                var x = Left + BoxWidth;
                body.Append($"<path d=\"M {x} {y + 6} C {x + 40} {y + 6}, {x + 40} {y + height - 6}, {x + 4} {y + height - 6}\" fill=\"none\" stroke=\"#2b5797\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>\n");
                body.Append(Text(x + 36, y + height / 2 + 4, "+", 14, "bold", "#2b5797", "middle"));
            }
            y += height;
            body.Append($"<line x1=\"{Width / 2}\" y1=\"{y}\" x2=\"{Width / 2}\" y2=\"{y + 26}\" stroke=\"#555\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n");
            body.Append(Text(Width / 2 + 8, y + 17, box.Output, 11, "normal", "#555"));
            y += 30;
        }
        var total = y + 20;
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{total}\" viewBox=\"0 0 {Width} {total}\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n");
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>\n");
        svg.Append($"<rect width=\"{Width}\" height=\"{total}\" fill=\"#ffffff\"/>\n");
        svg.Append(Text(Width / 2, 28, model.ClassName, 20, "bold", "#111", "middle"));
        svg.Append(Text(Width / 2, 50, $"{model.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} parameters - input {model.Input}", 13, "normal", "#444", "middle"));
        svg.Append(body);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>Consecutive blocks of one structure become one box with an "xN" badge.</summary>
    private static List<DiagramBox> Collapse(List<DiagramBox> boxes)
    {
        var result = new List<DiagramBox>();
        foreach (var box in boxes)
        {
            var last = result.Count > 0 ? result[^1] : null;
            if (last is not null && last.Signature == box.Signature && box.Signature != "plain" && SameGroup(last.Title, box.Title))
                result[^1] = last with { Repeats = last.Repeats + 1, Output = box.Output, Title = RangeTitle(last.Title, box.Title) };
            else
                result.Add(box);
        }
        return result;
    }

    /// <summary>
    /// Blocks of one stage: paths that differ in one segment only (layer1.0 and layer1.1, inception3a and inception3b;
    /// not RegNet's block1.block1-0 and block2.block2-0, nor layer1.2 and layer2.0).
    /// </summary>
    private static bool SameGroup(string a, string b)
    {
        var (first, next) = (a.Split(" - ")[0].Split('.'), b.Split('.'));
        return first.Length == next.Length && first.Where((segment, i) => segment != next[i]).Count() <= 1;
    }

    /// <summary>"layer3.0 - layer3.35"; when that would not fit the box, the last one from where it differs ("block3-1 - block3-5").</summary>
    private static string RangeTitle(string first, string last)
    {
        var start = first.Split(" - ")[0];
        var title = $"{start} - {last}";
        if (title.Length <= 40) return title;
        var (from, to) = (start.Split('.'), last.Split('.'));
        var differs = Enumerable.Range(0, Math.Min(from.Length, to.Length)).FirstOrDefault(i => from[i] != to[i]);
        return $"{start} - {string.Join(".", to.Skip(differs))}";
    }

    /// <summary>A comma-separated list in lines of at most <paramref name="characters"/>, broken after a comma.</summary>
    private static List<string> Wrap(string list, int characters)
    {
        var lines = new List<string>();
        foreach (var item in list.Split(", "))
        {
            if (lines.Count > 0 && lines[^1].Length + 2 + item.Length <= characters) lines[^1] += ", " + item;
            else
            {
                if (lines.Count > 0) lines[^1] += ",";
                lines.Add(item);
            }
        }
        return lines;
    }

    private static string Shorten(string text, int characters) => DiagramBoxes.Shorten(text, characters);

    private static string Rect(int x, int y, int width, int height, string fill, int radius = 8) =>
        $"<rect x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{height}\" rx=\"{radius}\" fill=\"{fill}\" stroke=\"#888\" stroke-width=\"1\"/>\n";

    private static string Text(int x, int y, string text, int size, string weight = "normal", string color = "#111", string anchor = "start") =>
        $"<text x=\"{x}\" y=\"{y}\" font-size=\"{size}\" font-weight=\"{weight}\" fill=\"{color}\" text-anchor=\"{anchor}\">{SecurityElement.Escape(text)}</text>\n";
}
