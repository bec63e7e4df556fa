using System.Globalization;
using System.Security;
using System.Text;
using CnnGen.Generator.Analysis;

namespace CnnGen.Tool;

/// <summary>
/// A compact SVG of a network in the spirit of the papers' figures: from the input to the output, one box
/// per block named by the YAML blocks it was made from (the module path beside it), with its kind (residual,
/// concat of N branches, split, dense); repeated blocks of the same structure drawn once with an "xN" badge,
/// branches fanned out side by side as what they hold (1x1-3x3, a split's identity part empty), a gate's
/// scale path in a row of its own with the product drawn on the left, residual skips as arrows on the right,
/// an earlier output read again further down (a U-Net's encoder into its decoder, a segmentation head's tap, the input
/// an output is resized to) as an arc on the left from the box that makes it to the box that reads it, longer arcs
/// outside shorter ones, each box's output shape on the edge below it, and the parameter count in the title.
/// <see cref="DiagramBoxes"/> decides the boxes.
/// </summary>
public static class Diagram
{
    private const int Width = 520;
    private const int BoxWidth = 400;
    private const int Left = (Width - BoxWidth) / 2;
    private const int Pad = 12;
    private const int TextRoom = BoxWidth - 2 * Pad;
    private const int BadgeWidth = 46;
    private const int EdgeLength = 30;
    private const int BranchGap = 6;

    /// <summary>The boxes drawn, in order: one per block, repeats collapsed (what the rendered-DOM tests count).</summary>
    public static List<DiagramBox> Boxes(NetworkModel model)
    {
        var boxes = DiagramBoxes.Build(model);
        // A box an arc starts or ends at stays a box of its own: a U-Net's four stages, not "x4".
        var inSkips = new HashSet<int>(SkipsOf(model, boxes).SelectMany(skip => new[] { skip.From, skip.To }));
        return Collapse(boxes, inSkips);
    }

    /// <summary>
    /// The SVG. Each box is a <c>g.box</c> whose first rect is its frame, holding its texts; a branch, the gate's
    /// scale path and the badge are groups of their own rect and text inside it; the edges (<c>g.edge</c>) join
    /// the bottom of each frame to the top of the next, from the input's frame to the output's.
    /// </summary>
    public static string Render(NetworkModel model)
    {
        var body = new StringBuilder();
        var y = Terminal(body, 64, $"input {model.Input}");
        string? shape = null;
        var boxes = Boxes(model);
        // Each box's top and bottom; the input's frame is "box" -1.
        var extents = new List<(int Top, int Bottom)>();
        foreach (var box in boxes)
        {
            y = Edge(body, y, shape);
            var top = y;
            y = Box(body, y, box);
            extents.Add((top, y));
            shape = box.Output;
        }
        y = Edge(body, y, shape);
        var total = Terminal(body, y, "output") + 16;
        var inputLeft = (Width - (int)Math.Ceiling(TextWidth.Of($"input {model.Input}", 11)) - 24) / 2;
        Skips(body, SkipsOf(model, boxes), extents, inputLeft);

        var svg = new StringBuilder();
        svg.Append($"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{Width}\" height=\"{total}\" viewBox=\"0 0 {Width} {total}\" font-family=\"DejaVu Sans, Arial, sans-serif\">\n");
        svg.Append("<defs><marker id=\"arrow\" viewBox=\"0 0 10 10\" refX=\"9\" refY=\"5\" markerWidth=\"7\" markerHeight=\"7\" orient=\"auto\"><path d=\"M 0 0 L 10 5 L 0 10 z\" fill=\"#555\"/></marker></defs>\n");
        svg.Append($"<rect width=\"{Width}\" height=\"{total}\" fill=\"#ffffff\"/>\n");
        svg.Append("<g class=\"heading\">\n");
        svg.Append(Text(Width / 2, 28, model.ClassName, 20, "bold", "#111", "middle"));
        svg.Append(Text(Width / 2, 50, $"{model.ParameterCount.ToString("N0", CultureInfo.InvariantCulture)} parameters", 13, "normal", "#444", "middle"));
        svg.Append("</g>\n");
        svg.Append(body);
        svg.Append("</svg>\n");
        return svg.ToString();
    }

    /// <summary>One box from <paramref name="top"/>; returns its bottom. Rows: title, kind, notes, branches, gate.</summary>
    private static int Box(StringBuilder svg, int top, DiagramBox box)
    {
        var content = new StringBuilder();
        var titleRoom = TextRoom - (box.Repeats > 1 ? BadgeWidth + 8 : 0);
        var title = TextWidth.Fit(box.Label ?? box.Title, 14, titleRoom, bold: true);
        var y = top + 21;
        content.Append(Text(Left + Pad, y, title, 14, "bold"));
        if (box.Label is not null)
        {
            // The module path, for the state dict, beside the block names when it fits there, else below them.
            if (TextWidth.Of(box.Title, 11) <= titleRoom - TextWidth.Of(title, 14, bold: true) - 16)
                content.Append(Text(Left + Pad + titleRoom, y, box.Title, 11, "normal", "#666", "end"));
            else
                content.Append(Text(Left + Pad, y += 16, TextWidth.Fit(box.Title, 11, TextRoom), 11, "normal", "#666"));
        }
        y += 3;
        foreach (var line in TextWidth.Wrap(box.Kind.Split(", "), ", ", 12, TextRoom))
            content.Append(Text(Left + Pad, y += 16, line, 12, "normal", "#444"));
        if (box.Notes is not null)
        {
            y += 2;
            foreach (var line in TextWidth.Wrap(box.Notes.Split(", "), ", ", 11, TextRoom))
                content.Append(Text(Left + Pad, y += 15, line, 11, "normal", "#555"));
        }
        var bottom = y + 10;
        if (box.Repeats > 1)
        {
            content.Append("<g class=\"badge\">\n");
            // Within the title's line, clear of the kind's line below it.
            content.Append(Rect(Left + BoxWidth - Pad - BadgeWidth, top + 6, BadgeWidth, 20, "#2b5797", 10));
            content.Append(Text(Left + BoxWidth - Pad - BadgeWidth / 2, top + 21, $"x{box.Repeats}", 13, "bold", "#fff", "middle"));
            content.Append("</g>\n");
        }
        if (box.Branches.Count > 0) bottom = Branches(content, bottom, box.Branches) + 10;
        if (box.Gate is not null)
        {
            // The scale sub-network, and on the left the gated path around it into the product.
            content.Append("<g class=\"gate\">\n");
            content.Append(Rect(Left + Pad, bottom, TextRoom, 26, "#d8efd0", 4));
            content.Append(Text(Left + Pad + 8, bottom + 17, TextWidth.Fit(box.Gate, 10, TextRoom - 16), 10, "normal", "#333"));
            content.Append("</g>\n<g class=\"skip\">\n");
            content.Append($"<path d=\"M {Left} {top + 6} C {Left - 34} {top + 6}, {Left - 34} {bottom + 13}, {Left + Pad} {bottom + 13}\" fill=\"none\" stroke=\"#3c7a2e\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>\n");
            content.Append(Text(Left - 30, (top + bottom) / 2 + 8, "×", 14, "bold", "#3c7a2e", "middle"));
            content.Append("</g>\n");
            bottom += 36;
        }
        if (box.Residual)
        {
            // The skip connection around the block, from the top of its right edge into the bottom of it.
            var x = Left + BoxWidth;
            content.Append("<g class=\"skip\">\n");
            content.Append($"<path d=\"M {x} {top + 6} C {x + 40} {top + 6}, {x + 40} {bottom - 6}, {x} {bottom - 6}\" fill=\"none\" stroke=\"#2b5797\" stroke-width=\"2\" marker-end=\"url(#arrow)\"/>\n");
            content.Append(Text(x + 36, (top + bottom) / 2 + 4, "+", 14, "bold", "#2b5797", "middle"));
            content.Append("</g>\n");
        }
        var fill = box.Residual ? "#eef5ff" : box.Branches.Count > 0 ? "#fff6e8" : box.Gate is not null ? "#f0f8ec" : "#f2f2f2";
        svg.Append($"<g class=\"box\" data-title=\"{SecurityElement.Escape(box.Label ?? box.Title)}\">\n");
        svg.Append(Rect(Left, top, BoxWidth, bottom - top, fill, 8, "frame"));
        svg.Append(content);
        svg.Append("</g>\n");
        return bottom;
    }

    /// <summary>
    /// The (maker, reader) pairs of boxes where a box reads a tensor that a box before its predecessor makes (-1: the
    /// network's input), which the edges between consecutive boxes do not show.
    /// </summary>
    public static List<(int From, int To)> SkipsOf(NetworkModel model, IReadOnlyList<DiagramBox> boxes)
    {
        var maker = new Dictionary<TensorVar, int> { [model.InputVar] = -1 };
        for (var i = 0; i < boxes.Count; i++)
            foreach (var tensor in boxes[i].Produces) maker[tensor] = i;
        var skips = new List<(int From, int To)>();
        for (var i = 0; i < boxes.Count; i++)
            foreach (var tensor in boxes[i].Reads)
                if (maker.TryGetValue(tensor, out var from) && from < i - 1 && !skips.Contains((from, i)))
                    skips.Add((from, i));
        return skips;
    }

    /// <summary>
    /// Each skip as an arc on the left, from the maker's bottom (the input frame's, for -1) to the reader's top; a longer
    /// arc further out, so nested skips (a U-Net's) nest.
    /// </summary>
    private static void Skips(StringBuilder svg, List<(int From, int To)> skips, List<(int Top, int Bottom)> extents, int inputLeft)
    {
        var byLength = skips.OrderBy(skip => skip.To - skip.From).ToList();
        for (var rank = 0; rank < byLength.Count; rank++)
        {
            var (from, to) = byLength[rank];
            var start = from < 0 ? 64 + 11 : extents[from].Bottom - 8;
            var end = extents[to].Top + 12;
            var startX = from < 0 ? inputLeft : Left;
            var x = Math.Max(4, Left - 10 - 8 * rank);
            svg.Append("<g class=\"reads\">\n");
            svg.Append($"<path d=\"M {startX} {start} C {x} {start}, {x} {start}, {x} {start + 12} L {x} {end - 12} C {x} {end}, {x} {end}, {Left} {end}\" fill=\"none\" stroke=\"#c05a1a\" stroke-width=\"1.5\" stroke-dasharray=\"5 3\" marker-end=\"url(#arrow)\"/>\n");
            svg.Append("</g>\n");
        }
    }

    /// <summary>
    /// Branches side by side from <paramref name="top"/>, joined by the concatenation below; a split's identity part
    /// passes through, so it is drawn empty. A label too wide for its part breaks after a "-"; returns the row's bottom.
    /// </summary>
    private static int Branches(StringBuilder svg, int top, IReadOnlyList<string> branches)
    {
        var count = Math.Min(branches.Count, 6);
        var width = (TextRoom - (count - 1) * BranchGap) / count;
        var labels = branches.Take(count).Select(branch => TextWidth.Wrap(branch.Split('-'), "-", 10, width - 8)).ToList();
        var height = 14 + 12 * labels.Max(lines => lines.Count);
        for (var i = 0; i < count; i++)
        {
            var x = Left + Pad + i * (width + BranchGap);
            svg.Append("<g class=\"branch\">\n");
            svg.Append(Rect(x, top, width, height, branches[i] == "identity" ? "#ffffff" : "#ffe2b8", 4));
            // A shorter label is centred on the row's height.
            var first = top + 17 + (height - 14 - 12 * labels[i].Count) / 2;
            for (var line = 0; line < labels[i].Count; line++)
                svg.Append(Text(x + width / 2, first + 12 * line, labels[i][line], 10, "normal", "#333", "middle"));
            svg.Append("</g>\n");
        }
        return top + height;
    }

    /// <summary>An arrow down from <paramref name="top"/> to the next frame, with the shape it carries; returns its end.</summary>
    private static int Edge(StringBuilder svg, int top, string? shape)
    {
        svg.Append("<g class=\"edge\">\n");
        svg.Append($"<line x1=\"{Width / 2}\" y1=\"{top}\" x2=\"{Width / 2}\" y2=\"{top + EdgeLength}\" stroke=\"#555\" stroke-width=\"1.5\" marker-end=\"url(#arrow)\"/>\n");
        if (shape is not null) svg.Append(Text(Width / 2 + 8, top + 19, shape, 11, "normal", "#555"));
        svg.Append("</g>\n");
        return top + EdgeLength;
    }

    /// <summary>The input's or the output's small frame, centred; returns its bottom.</summary>
    private static int Terminal(StringBuilder svg, int top, string text)
    {
        var width = (int)Math.Ceiling(TextWidth.Of(text, 11)) + 24;
        svg.Append("<g class=\"terminal\">\n");
        svg.Append(Rect((Width - width) / 2, top, width, 22, "#ffffff", 11, "frame"));
        svg.Append(Text(Width / 2, top + 15, text, 11, "normal", "#444", "middle"));
        svg.Append("</g>\n");
        return top + 22;
    }

    /// <summary>Consecutive blocks of one structure become one box with an "xN" badge.</summary>
    private static List<DiagramBox> Collapse(List<DiagramBox> boxes, HashSet<int> keep)
    {
        var result = new List<DiagramBox>();
        for (var i = 0; i < boxes.Count; i++)
        {
            var box = boxes[i];
            var last = result.Count > 0 ? result[^1] : null;
            if (last is not null && !keep.Contains(i) && !keep.Contains(i - 1) && last.Signature == box.Signature && box.Signature != "plain" && last.Label == box.Label && SameGroup(last.Title, box.Title))
            {
                var produces = last.Produces.Concat(box.Produces).ToHashSet();
                result[^1] = last with
                {
                    Repeats = last.Repeats + 1, Output = box.Output, Title = RangeTitle(last.Title, box.Title),
                    Produces = produces, Reads = last.Reads.Concat(box.Reads).Where(tensor => !produces.Contains(tensor)).Distinct().ToList(),
                };
            }
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

    private static string Rect(int x, int y, int width, int height, string fill, int radius = 8, string? cssClass = null) =>
        $"<rect{(cssClass is null ? "" : $" class=\"{cssClass}\"")} x=\"{x}\" y=\"{y}\" width=\"{width}\" height=\"{height}\" rx=\"{radius}\" fill=\"{fill}\" stroke=\"#888\" stroke-width=\"1\"/>\n";

    private static string Text(int x, int y, string text, int size, string weight = "normal", string color = "#111", string anchor = "start") =>
        $"<text x=\"{x}\" y=\"{y}\" font-size=\"{size}\" font-weight=\"{weight}\" fill=\"{color}\" text-anchor=\"{anchor}\">{SecurityElement.Escape(text)}</text>\n";
}
