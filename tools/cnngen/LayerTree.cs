using CnnGen.Generator.Analysis;
using CnnGen.Generator.Layers;

namespace CnnGen.Tool;

/// <summary>One line of the hierarchical summary: a layer, or a group (block, repetition, branch) with its totals.</summary>
/// <param name="Level">1 for a top-level child; the number of segments of <paramref name="Path"/>.</param>
/// <param name="Name">The last segment of the path, shown indented under its group.</param>
/// <param name="Output">The layer's output; for a group, that of the last forward step inside it (its add, concatenation
/// or gate, or its last layer), when the forward steps were given.</param>
/// <param name="Layers">How many layer rows the line stands for (1 for a layer).</param>
/// <param name="Join">For a group: how it joins tensors at its own path (residual, concat of 3 branches, split into 2 parts,
/// gate x * s(x), dense), null for none.</param>
public sealed record TreeRow(int Level, string Name, string Path, string Type, string? Output, long Parameters, long Macs, int Layers, bool IsGroup, string? Join = null);

/// <summary>
/// The layer table as a tree, as torchinfo shows modules: the rows' state-dict paths (<c>layer1.0.conv1</c>)
/// group by prefix, so <c>layer1</c> and <c>layer1.0</c> become rows with the totals of what they hold.
/// </summary>
public static class LayerTree
{
    private sealed class Node(string name, string path, LayerRow? row)
    {
        public string Name { get; } = name;
        public string Path { get; } = path;
        public LayerRow? Row { get; } = row;
        public List<Node> Children { get; } = new();
        public long Parameters;
        public long Macs;
        public int Layers;
    }

    /// <summary>
    /// Rows in walk order, groups before what they hold. <paramref name="depth"/> (null: no limit) is the
    /// deepest level shown; a group at that level stands for everything under it. With the forward
    /// <paramref name="steps"/>, groups get their output and the joins at their path. With the module tree
    /// (<paramref name="modules"/>), each group's children come in the order the constructor registers them, as the
    /// state dict and PyTorch's print(model) list them (RegNet's shortcut 'proj' before its body 'f', although the
    /// forward runs 'f' first); a layer without a module (an activation) stays after the row it follows.
    /// </summary>
    public static IReadOnlyList<TreeRow> Build(IReadOnlyList<LayerRow> rows, int? depth = null, IReadOnlyList<ForwardStep>? steps = null, ModuleNode? modules = null)
    {
        var root = new Node("", "", null);
        foreach (var row in rows)
        {
            var segments = row.Path.Split('.');
            var group = root;
            for (var i = 0; i < segments.Length - 1; i++)
            {
                // A group is met again after other rows when it was re-entered; it stays one node, in first-seen order.
                var name = segments[i];
                var next = group.Children.FirstOrDefault(child => child.Row is null && child.Name == name);
                if (next is null)
                {
                    next = new Node(name, string.Join(".", segments, 0, i + 1), null);
                    group.Children.Add(next);
                }
                group = next;
            }
            group.Children.Add(new Node(segments[^1], row.Path, row));
        }
        if (modules is not null) Reorder(root, RegistrationOrder(modules));
        Total(root);
        var flow = GroupFlow.Of(steps ?? Array.Empty<ForwardStep>());
        var result = new List<TreeRow>();
        foreach (var child in root.Children) Flatten(child, 1, depth, flow, result);
        return result;
    }

    /// <summary>Every module path of the tree, numbered in registration order (a group before what it holds).</summary>
    private static Dictionary<string, int> RegistrationOrder(ModuleNode root)
    {
        var order = new Dictionary<string, int>(StringComparer.Ordinal);
        void Walk(ModuleNode node, string path)
        {
            foreach (var child in node.Children)
            {
                var childPath = path.Length == 0 ? child.Name : path + "." + child.Name;
                order.TryAdd(childPath, order.Count);
                Walk(child, childPath);
            }
        }
        Walk(root, "");
        return order;
    }

    /// <summary>
    /// Sorts each group's children by registration order, stably; a child with no module (an activation) stays after
    /// every sibling the forward runs before it (a residual's closing ReLU after both its body and its shortcut).
    /// </summary>
    private static void Reorder(Node node, Dictionary<string, int> order)
    {
        var keyed = new List<(Node Child, int Key, int Position)>();
        var latest = -1;
        foreach (var child in node.Children)
        {
            var key = order.TryGetValue(child.Path, out var registered) ? registered : latest;
            keyed.Add((child, key, keyed.Count));
            latest = Math.Max(latest, key);
            Reorder(child, order);
        }
        var sorted = keyed.OrderBy(item => item.Key).ThenBy(item => item.Position).Select(item => item.Child).ToList();
        node.Children.Clear();
        node.Children.AddRange(sorted);
    }

    private static void Total(Node node)
    {
        if (node.Row is { } row)
        {
            (node.Parameters, node.Macs, node.Layers) = (row.Parameters, row.Macs, 1);
            return;
        }
        foreach (var child in node.Children)
        {
            Total(child);
            node.Parameters += child.Parameters;
            node.Macs += child.Macs;
            node.Layers += child.Layers;
        }
    }

    private static void Flatten(Node node, int level, int? depth, GroupFlow flow, List<TreeRow> result)
    {
        if (node.Row is { } row)
        {
            result.Add(new TreeRow(level, node.Name, node.Path, (row.Type + " " + row.Detail).Trim(), row.Output.ToString(), row.Parameters, row.Macs, 1, IsGroup: false));
            return;
        }
        var join = flow.Joins.TryGetValue(node.Path, out var joins) ? string.Join(", ", joins) : null;
        var type = (node.Layers == 1 ? "1 layer" : $"{node.Layers} layers") + (join is null ? "" : $", {join}");
        result.Add(new TreeRow(level, node.Name, node.Path, type, flow.Outputs.GetValueOrDefault(node.Path), node.Parameters, node.Macs, node.Layers, IsGroup: true, join));
        if (depth is { } limit && level >= limit) return;
        foreach (var child in node.Children) Flatten(child, level + 1, depth, flow, result);
    }
}
