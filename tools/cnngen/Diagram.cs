using System.Globalization;
using System.Security;
using System.Text;
using CnnGen.Generator.Analysis;

namespace CnnGen.Tool;

/// <summary>
/// A compact SVG of a network in the spirit of the papers' figures: the stem's layers in one box,
/// then one box per block with its kind (residual, concat of N branches, dense), repeated blocks of the
/// same structure drawn once with an "xN" badge, branches fanned out side by side, residual skips as
/// arrows, each box's output shape on the edge below it, and the parameter count in the title.
/// </summary>
public static class Diagram
{
    private const int Width = 520;
    private const int BoxWidth = 400;
    private const int Left = (Width - BoxWidth) / 2;

    /// <summary>One box: a run of top-level layers, or a block (possibly repeated).</summary>
    private sealed record Box(string Title, string Kind, IReadOnlyList<string> Branches, bool Residual, int Repeats, string Output, string Signature);

    public static string Render(NetworkModel model)
    {
        var boxes = Collapse(Boxes(model));
        var svg = new StringBuilder();
        var y = 70;
        var body = new StringBuilder();
        foreach (var box in boxes)
        {
            var height = box.Branches.Count > 0 ? 86 : 50;
            body.Append(Rect(Left, y, BoxWidth, height, box.Residual ? "#eef5ff" : box.Branches.Count > 0 ? "#fff6e8" : "#f2f2f2"));
            body.Append(Text(Left + 12, y + 21, Shorten(box.Title, box.Repeats > 1 ? 40 : 46), 14, "bold"));
            body.Append(Text(Left + 12, y + 40, box.Kind, 12, "normal", "#444"));
            if (box.Repeats > 1)
            {
                body.Append(Rect(Left + BoxWidth - 58, y + 8, 46, 24, "#2b5797", 12));
                body.Append(Text(Left + BoxWidth - 35, y + 25, $"x{box.Repeats}", 14, "bold", "#fff", "middle"));
            }
            if (box.Branches.Count > 0)
            {
                // Branches fanned out side by side, joined by the concatenation below.
                var count = Math.Min(box.Branches.Count, 6);
                var branchWidth = (BoxWidth - 24 - (count - 1) * 6) / count;
                for (var i = 0; i < count; i++)
                {
                    var x = Left + 12 + i * (branchWidth + 6);
                    body.Append(Rect(x, y + 50, branchWidth, 26, "#ffe2b8", 4));
                    body.Append(Text(x + branchWidth / 2, y + 67, Shorten(box.Branches[i], branchWidth / 7), 10, "normal", "#333", "middle"));
                }
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

    /// <summary>Boxes in network order: runs of plain top-level layers, and one box per block.</summary>
    private static List<Box> Boxes(NetworkModel model)
    {
        var boxes = new List<Box>();
        var plain = new List<LayerRow>();
        void FlushPlain()
        {
            if (plain.Count == 0) return;
            var names = plain.Select(row => row.Path).ToList();
            var title = names.Count <= 4 ? string.Join(" > ", names) : $"{names[0]} > ... > {names[^1]} ({names.Count} layers)";
            var kinds = string.Join(", ", plain.Select(row => (row.Type + " " + row.Detail).Trim()));
            boxes.Add(new Box(title, Shorten(kinds, 60),
                Array.Empty<string>(), false, 1, plain[^1].Output.ToString(), "plain"));
            plain.Clear();
        }

        // A unit is a block instance: the shortest prefix of a layer's path at which a residual add, a
        // concatenation or dense connectivity happens (inception3a, layer1.0); otherwise the first two
        // levels (features.denseblock1) or the layer itself.
        var blockPaths = new HashSet<string>(model.Steps.Where(step => step.Kind is null).Select(step => step.Comment.Split(':')[0]));
        string Unit(string path)
        {
            var parts = path.Split('.');
            for (var length = 1; length < parts.Length; length++)
            {
                var prefix = string.Join(".", parts.Take(length));
                if (blockPaths.Contains(prefix)) return prefix;
            }
            return parts.Length <= 2 ? path : parts[0] + "." + parts[1];
        }

        foreach (var unitRows in model.Layers.GroupBy(row => Unit(row.Path)))
        {
            var rows = unitRows.ToList();
            if (rows.Count == 1 && !blockPaths.Contains(unitRows.Key))
            {
                plain.Add(rows[0]);
                continue;
            }
            FlushPlain();
            var steps = model.Steps.Where(step => step.Comment.Split(':')[0] is var path && (path == unitRows.Key || path.StartsWith(unitRows.Key + ".", StringComparison.Ordinal))).ToList();
            var residual = steps.Any(step => step.Comment.Contains("body + shortcut") || step.Comment.Contains("* body"));
            // The block's own join is its last concatenation (an Inception-C branch can hold a nested one).
            var concat = steps.LastOrDefault(step => step.Comment.Contains("concat of"));
            var dense = steps.Any(step => step.Comment.Contains("dense"));
            var branches = new List<string>();
            if (concat is not null)
            {
                // Each branch is named by the first layer of each input of the concatenation.
                foreach (var input in concat.Inputs)
                {
                    var producer = steps.FirstOrDefault(step => step.Output == input);
                    branches.Add(producer is null ? "input" : BranchName(producer.Comment.Split(':')[0], unitRows.Key));
                }
            }
            var convs = rows.Count(row => row.Type is "conv" or "dwconv" or "tableconv");
            var kind = string.Join(", ", new[]
            {
                residual ? "residual" : null,
                concat is not null ? $"concat of {concat.Inputs.Count} branches" : null,
                dense ? "dense connectivity" : null,
                $"{convs} conv{(convs == 1 ? "" : "s")}, {rows.Count} layers",
                $"{rows.Sum(row => row.Parameters).ToString("N0", CultureInfo.InvariantCulture)} params",
            }.Where(part => part is not null));
            var signature = string.Join("|", rows.Select(row => row.Type)) + (residual ? "+r" : "") + (concat is not null ? "+c" : "");
            // The unit's output is that of its last step (the add or the concatenation), as its comment says.
            var output = steps.Count > 0 && steps[^1].Comment.LastIndexOf("-> ", StringComparison.Ordinal) is var at and >= 0
                ? steps[^1].Comment.Substring(at + 3)
                : rows[^1].Output.ToString();
            boxes.Add(new Box(unitRows.Key, kind, branches, residual, 1, output, signature));
        }
        FlushPlain();
        return boxes;
    }

    private static string BranchName(string path, string unit)
    {
        var rest = path.StartsWith(unit + ".", StringComparison.Ordinal) ? path.Substring(unit.Length + 1) : path;
        return rest.Split('.')[0];
    }

    /// <summary>Consecutive blocks of one structure become one box with an "xN" badge.</summary>
    private static List<Box> Collapse(List<Box> boxes)
    {
        var result = new List<Box>();
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

    private static bool SameGroup(string a, string b) => a.Split('.')[0] == b.Split('.')[0] || (!a.Contains('.') && !b.Contains('.'));

    private static string RangeTitle(string first, string last)
    {
        var start = first.Split(" - ")[0];
        return $"{start} - {last}";
    }

    private static string Shorten(string text, int characters) => text.Length <= Math.Max(characters, 4) ? text : text.Substring(0, Math.Max(characters, 4) - 1) + "…";

    private static string Rect(int x, int y, int width, int height, string fill, int radius = 8) =>
        $"<rect x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{height}\" rx=\"{radius}\" fill=\"{fill}\" stroke=\"#888\" stroke-width=\"1\"/>\n";

    private static string Text(int x, int y, string text, int size, string weight = "normal", string color = "#111", string anchor = "start") =>
        $"<text x=\"{x}\" y=\"{y}\" font-size=\"{size}\" font-weight=\"{weight}\" fill=\"{color}\" text-anchor=\"{anchor}\">{SecurityElement.Escape(text)}</text>\n";
}
