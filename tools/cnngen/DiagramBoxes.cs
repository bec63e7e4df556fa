using System.Globalization;
using CnnGen.Generator.Analysis;
using CnnGen.Generator.Graph;
using CnnGen.Generator.Layers;

namespace CnnGen.Tool;

/// <summary>One box of a diagram: a run of top-level layers, or a block (possibly repeated).</summary>
/// <param name="Title">The module path of the box's layers (a range once repeats are collapsed).</param>
/// <param name="Branches">Side-by-side parts joined by a concatenation, each as what it holds ("1x1-3x3"; "identity" for a split's pass-through part).</param>
/// <param name="Notes">A third line naming the block's less common layers (layer scale, stochastic depth ...), or null.</param>
/// <param name="Gate">The scale sub-network of an <c>x * scale(x)</c> gate, as a chain of layers, or null.</param>
public sealed record DiagramBox(string Title, string Kind, IReadOnlyList<string> Branches, bool Residual, int Repeats, string Output, string Signature)
{
    /// <summary>The YAML blocks the box's block was instantiated from, outermost first ("stem · mixed_4a"), or null when no block made it.</summary>
    public string? Label { get; init; }
    public string? Notes { get; init; }
    public string? Gate { get; init; }

    /// <summary>The tensors the box's steps make.</summary>
    public IReadOnlyCollection<TensorVar> Produces { get; init; } = Array.Empty<TensorVar>();

    /// <summary>The tensors the box's steps read that other boxes (or the input) make: the previous box's output, and any skip.</summary>
    public IReadOnlyCollection<TensorVar> Reads { get; init; } = Array.Empty<TensorVar>();

    /// <summary>This box with what its steps make and read.</summary>
    public DiagramBox WithFlow(IReadOnlyCollection<ForwardStep> steps)
    {
        var produces = new HashSet<TensorVar>(steps.Select(step => step.Output));
        return this with { Produces = produces, Reads = steps.SelectMany(step => step.Inputs).Where(input => !produces.Contains(input)).Distinct().ToList() };
    }
}

/// <summary>
/// Reads a network's layers and forward steps into diagram boxes. The steps' operations say where residual adds,
/// concatenations, splits and gates happen (<see cref="StepJoins"/>), their paths which block they belong to.
/// </summary>
public static class DiagramBoxes
{
    /// <summary>Boxes in network order: runs of plain top-level layers, and one box per block.</summary>
    public static List<DiagramBox> Build(NetworkModel model)
    {
        var boxes = new List<DiagramBox>();
        // A gate is drawn inside the block that holds it, so it does not make a block of its own.
        var joins = new StepJoins(model.Steps);
        var blockPaths = new HashSet<string>(model.Steps.Where(step => joins.Of(step) is { } join && join != JoinKind.Gate).Select(step => step.Path));
        var blockParents = new HashSet<string>(blockPaths.Select(ParentOf));
        string Unit(string path) => UnitOf(path, blockPaths, blockParents);
        // The unit's own steps: a nested unit's (a later block under a two-level fallback) are not.
        var stepsOfUnit = model.Steps.ToLookup(step => Unit(step.Path));
        var plain = new List<LayerRow>();
        void FlushPlain()
        {
            if (plain.Count == 0) return;
            var names = plain.Select(row => row.Path).ToList();
            var title = names.Count <= 4 ? string.Join(" > ", names) : $"{names[0]} > ... > {names[^1]} ({names.Count} layers)";
            var kinds = FirstKinds(plain.Select(row => (row.Type + " " + row.Detail).Trim()));
            var steps = plain.Select(row => Unit(row.Path)).Distinct().SelectMany(unit => stepsOfUnit[unit]).ToList();
            boxes.Add(new DiagramBox(title, kinds, Array.Empty<string>(), false, 1, plain[^1].Output.ToString(), "plain").WithFlow(steps));
            plain.Clear();
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
            var steps = stepsOfUnit[unitRows.Key].ToList();
            boxes.Add(Block(unitRows.Key, rows, steps, joins).WithFlow(steps));
        }
        FlushPlain();
        return boxes;
    }

    private static DiagramBox Block(string unit, List<LayerRow> rows, List<ForwardStep> steps, StepJoins joins)
    {
        var residual = steps.Any(step => joins.Of(step) == JoinKind.Residual);
        // The block's own join is its last concatenation of branches or parts (an Inception-C branch can hold a nested one).
        var concat = steps.LastOrDefault(step => joins.Of(step) is JoinKind.Concat or JoinKind.Split);
        var split = concat is not null && joins.Of(concat) == JoinKind.Split;
        var dense = steps.Any(step => joins.Of(step) == JoinKind.Dense);
        var branches = concat is null ? new List<string>() : DiagramBranches.Of(concat, steps, joins);
        var gate = steps.FirstOrDefault(step => joins.Of(step) == JoinKind.Gate);
        var gateChain = gate is null ? new List<ForwardStep>() : ScaleChain(gate, steps);
        var gatePaths = new HashSet<string>(gateChain.Select(step => step.Path));
        var convs = rows.Count(row => row.Type is "conv" or "dwconv" or "tableconv");
        var kind = string.Join(", ", new[]
        {
            residual ? "residual" : null,
            split ? $"split into {concat!.Inputs.Count} parts, concat" : concat is not null ? $"concat of {concat.Inputs.Count} branches" : null,
            dense ? "dense connectivity" : null,
            $"{convs} conv{(convs == 1 ? "" : "s")}, {rows.Count} layers",
            $"{rows.Sum(row => row.Parameters).ToString("N0", CultureInfo.InvariantCulture)} params",
        }.Where(part => part is not null));
        var signature = string.Join("|", rows.Select(row => row.Type)) + (residual ? "+r" : "") + (concat is not null ? "+c" : "") + (split ? "+s" : "") + (gate is not null ? "+g" : "");
        // The unit's output is that of its last step (the add or the concatenation).
        var output = (steps.Count > 0 ? steps[^1].OutputShape : null)?.ToString() ?? rows[^1].Output.ToString();
        var notes = string.Join(", ", rows.Where(row => !gatePaths.Contains(row.Path)).Select(Note).Where(note => note is not null).Distinct());
        return new DiagramBox(unit, kind, branches, residual, 1, output, signature)
        {
            Label = BlockLabel(unit, rows),
            Notes = notes.Length > 0 ? notes : null,
            Gate = gate is null ? null : GateLabel(gateChain),
        };
    }

    /// <summary>
    /// The unit of a path: the shortest prefix at which a residual add, a concatenation, a split or dense
    /// connectivity happens (inception3a, layer1.0); else, below the top level, a prefix whose sibling is such a
    /// block (EfficientNet's features.2.0 beside the residual features.2.1); else the first two levels
    /// (features.denseblock1) or the path itself.
    /// </summary>
    private static string UnitOf(string path, HashSet<string> blockPaths, HashSet<string> blockParents)
    {
        var parts = path.Split('.');
        for (var length = 1; length <= parts.Length; length++)
        {
            var prefix = string.Join(".", parts.Take(length));
            if (blockPaths.Contains(prefix) || (length >= 2 && blockParents.Contains(ParentOf(prefix)))) return prefix;
        }
        return parts.Length <= 2 ? path : parts[0] + "." + parts[1];
    }

    /// <summary>
    /// The blocks whose instance is the unit or holds it, by their names in the YAML (Inception-v4's features.4 is
    /// <c>stem · mixed_4a</c>, its features.6 <c>inception-A</c>), and the first one inside it when that holds all of
    /// the unit's layers and the unit is no instance itself (EfficientNet-B0's one-block stage features.1 is <c>stage · mbconv</c>,
    /// as its longer stages' blocks are; features.2.0 stays <c>stage · mbconv</c>, not <c>... · mbconv_layers</c>).
    /// </summary>
    private static string? BlockLabel(string unit, List<LayerRow> rows)
    {
        var names = rows[0].Blocks
            .Where(block => block.Path == unit || block.Path.Length == 0 || unit.StartsWith(block.Path + ".", StringComparison.Ordinal))
            .Select(block => block.Name).ToList();
        var whole = rows[0].Blocks.FirstOrDefault(block => block.Path.StartsWith(unit + ".", StringComparison.Ordinal));
        var unitIsInstance = rows[0].Blocks.Any(block => block.Path == unit);
        if (!unitIsInstance && whole.Name is not null && rows.All(row => row.Blocks.Contains(whole))) names.Add(whole.Name);
        return names.Count == 0 ? null : string.Join(" · ", names);
    }

    /// <summary>layer1.0 -> layer1; a top-level name -> "".</summary>
    private static string ParentOf(string path) => path.LastIndexOf('.') is var dot and >= 0 ? path.Substring(0, dot) : "";

    /// <summary>The steps computing a gate's scale, in forward order: back from the scale to the gated tensor.</summary>
    private static List<ForwardStep> ScaleChain(ForwardStep gate, List<ForwardStep> steps)
    {
        var (gated, wanted) = (gate.Inputs[0], new HashSet<TensorVar> { gate.Inputs[1] });
        var chain = new List<ForwardStep>();
        for (var i = steps.IndexOf(gate) - 1; i >= 0; i--)
        {
            if (!wanted.Contains(steps[i].Output)) continue;
            chain.Insert(0, steps[i]);
            foreach (var input in steps[i].Inputs.Where(input => input != gated)) wanted.Add(input);
        }
        return chain;
    }

    /// <summary>"SE gate: avgpool > conv 1x1 > silu > conv 1x1 > sigmoid" (the product x * s(x) is drawn beside it): squeeze-and-excitation when the scale is one value a channel.</summary>
    private static string GateLabel(List<ForwardStep> chain)
    {
        var layers = chain.Where(step => step.Row is not null).Select(Short).ToList();
        var squeezed = chain.Count > 0 && chain[^1].OutputShape is { IsMap: true } scale && scale.Height == 1 && scale.Width == 1;
        return $"{(squeezed ? "SE gate" : "gate")}: {(layers.Count > 0 ? string.Join(" > ", layers) : "x * x")}";
    }

    /// <summary>A layer's text in the layer table without its details beyond the first (conv 3x3/2, g=6 is conv 3x3/2); the SE squeeze (to 1x1) is just avgpool.</summary>
    private static string Short(ForwardStep step) => step.Operation is AdaptiveAvgPoolOp { Size: { H: 1, W: 1 } }
        ? "avgpool"
        : (step.Row!.Type + " " + step.Row.Detail).Trim().Split(',')[0];

    /// <summary>How a block's less common layer reads in its box; null for the layers the counts already cover.</summary>
    private static string? Note(LayerRow row) => row.Type switch
    {
        "permute" => "channels-last",
        "linear" when row.Output.ChannelsLast => "linear per pixel",
        "layernorm" => row.Detail.Contains("(2d)") ? "LayerNorm2d" : "layer norm",
        "layer_scale" => "layer scale",
        "stochastic_depth" => "stochastic depth",
        "channel_shuffle" => $"channel shuffle {row.Detail}".Trim(),
        "silu" or "gelu" or "hardswish" or "hardsigmoid" or "leaky_relu" => row.Type,
        _ => null,
    };

    /// <summary>A run's layer kinds, as many whole ones as two lines of its box hold, then "…".</summary>
    private static string FirstKinds(IEnumerable<string> kinds)
    {
        var text = "";
        foreach (var kind in kinds)
        {
            if (text.Length + kind.Length > 96) return text + ", …";
            text = text.Length == 0 ? kind : text + ", " + kind;
        }
        return text;
    }
}
