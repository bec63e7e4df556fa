using CnnGen.Generator.Graph;
using CnnGen.Generator.Layers;

namespace CnnGen.Tool.PyTorch;

/// <summary>What a module path is in the Python module tree.</summary>
internal enum PathKind
{
    /// <summary>A module of the graph (conv, bn, linear, dropout ...), with its state-dict tensors.</summary>
    Module,

    /// <summary>A layer without state whose path nothing else uses: a parameterless module there (nn.ReLU, nn.MaxPool2d), as torchvision has.</summary>
    Free,

    /// <summary>A learned tensor that is its own path (layer scale): an nn.Parameter of the module above.</summary>
    Parameter,

    /// <summary>The network: the generated class itself.</summary>
    Root,

    /// <summary>A group that computes one value from the values before it, as a chain of its children: nn.Sequential.</summary>
    Sequential,

    /// <summary>A group that computes one value from the values before it otherwise: a class of its own with a forward.</summary>
    Class,

    /// <summary>A group that is not one step of the computation (its layers run between others): a container the forward reaches into.</summary>
    Container,
}

/// <summary>A module path of the network and what is there.</summary>
internal sealed class PathNode
{
    public PathNode(string segment, string path, PathNode? parent)
    {
        Segment = segment;
        Path = path;
        Parent = parent;
    }

    public string Segment { get; }
    public string Path { get; }
    public PathNode? Parent { get; }
    public List<PathNode> Children { get; } = new();
    public PathKind Kind { get; set; }

    /// <summary>The graph node whose module (or parameter) this is, for a leaf.</summary>
    public int Node { get; set; } = -1;

    /// <summary>The graph nodes at this path or below it, in forward order.</summary>
    public List<int> Members { get; } = new();

    /// <summary>For a group that is one step: the values it reads (in order of first use) and the one it computes.</summary>
    public List<int> Inputs { get; } = new();
    public int Output { get; set; } = -1;

    public bool IsLeaf => Kind is PathKind.Module or PathKind.Free or PathKind.Parameter;

    public bool IsCallable => Kind is PathKind.Sequential or PathKind.Class;

    public PathNode? Child(string segment) => Children.FirstOrDefault(child => child.Segment == segment);

    /// <summary>The children are "0", "1", ... in order: indexable as nn.Sequential or nn.ModuleList.</summary>
    public bool HasIndexedChildren => Children.Count > 0 && Children.Select((child, index) => child.Segment == PythonText.Int(index)).All(same => same);

    public override string ToString() => $"{Path} ({Kind})";
}

/// <summary>One step of a forward: a group called as a whole, a leaf module called, or a node computed in place.</summary>
internal sealed record Unit(PathNode? Target, int Node, IReadOnlyList<int> Inputs, int Output, string? Aux, int First, int Last);

/// <summary>
/// The module tree of one graph: the nodes' module paths (the state-dict prefixes) as a tree, each group classified
/// by how the forward uses it (<see cref="PathKind"/>), and the steps of a group's forward (<see cref="Units"/>).
/// </summary>
internal sealed class NetworkLayout
{
    private readonly Dictionary<int, int> _producer = new();
    private readonly Dictionary<int, List<int>> _consumers = new();
    private readonly HashSet<int> _sinks = new();
    private readonly PathNode[] _attach;

    public NetworkLayout(NetworkGraph graph, int index)
    {
        Graph = graph;
        Index = index;
        Root = new PathNode("", "", null) { Kind = PathKind.Root };
        for (var i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            _producer[node.Output] = i;
            foreach (var input in node.Inputs)
            {
                if (!_consumers.TryGetValue(input, out var list)) _consumers[input] = list = new List<int>();
                if (!list.Contains(i)) list.Add(i);
            }
        }
        _sinks.Add(graph.Output);
        foreach (var aux in graph.AuxOutputs) _sinks.Add(aux.Value);
        foreach (var output in graph.Outputs) _sinks.Add(output.Value);

        var free = FreeNodes();
        for (var i = 0; i < graph.Nodes.Count; i++)
        {
            var node = graph.Nodes[i];
            if (!node.HasModule && !free.Contains(i)) continue;
            var leaf = Insert(node.Path, node);
            if (leaf.Node >= 0 || leaf.Children.Count > 0)
                throw new PyTorchExportException(PyTorchExport.Unsupported, $"two layers own the module path '{PythonText.Comment(node.Path)}'", node.Site);
            leaf.Node = i;
            leaf.Kind = node.Operation is LayerScaleOp ? PathKind.Parameter : node.HasModule ? PathKind.Module : PathKind.Free;
        }
        foreach (var node in graph.Nodes)
            if (node.Operation is AddOp { Residual: true }) ShortcutFirst(node);
        HeadsTappingDeeperLast();
        FollowRegistrationOrder();
        _attach = new PathNode[graph.Nodes.Count];
        for (var i = 0; i < graph.Nodes.Count; i++)
        {
            var at = Root;
            if (graph.Nodes[i].Path.Length > 0)
                foreach (var segment in graph.Nodes[i].Path.Split('.'))
                {
                    var next = at.IsLeaf ? null : at.Child(segment);
                    if (next is null) break;
                    at = next;
                }
            _attach[i] = at;
            for (var up = at; up is not null; up = up.Parent) up.Members.Add(i);
        }
        foreach (var group in Walk(Root).Where(group => !group.IsLeaf && group != Root).Reverse()) Classify(group);
    }

    public NetworkGraph Graph { get; }

    /// <summary>The graph's position among the file's classes.</summary>
    public int Index { get; }

    public PathNode Root { get; }

    public GraphNode Node(int index) => Graph.Nodes[index];

    /// <summary>The YAML's name for a value (<see cref="GraphNode.Name"/>), or null.</summary>
    public string? NameOf(int value) => _producer.TryGetValue(value, out var index) ? Graph.Nodes[index].Name : null;

    /// <summary>Every path below <paramref name="top"/> (itself first), parents before children, in registration order.</summary>
    public static IEnumerable<PathNode> Walk(PathNode top)
    {
        yield return top;
        foreach (var child in top.Children)
            foreach (var below in Walk(child))
                yield return below;
    }

    /// <summary>
    /// Nodes without a module that may have a parameterless one at their path: the only node there, nothing below
    /// it, no module above it; as torchvision registers nn.ReLU or nn.MaxPool2d. The path's name is checked like any.
    /// </summary>
    private HashSet<int> FreeNodes()
    {
        var nodes = Graph.Nodes;
        var counts = nodes.GroupBy(node => node.Path).ToDictionary(group => group.Key, group => group.Count(), StringComparer.Ordinal);
        var prefixes = new HashSet<string>(StringComparer.Ordinal);
        foreach (var node in nodes)
        {
            var parts = node.Path.Split('.');
            for (var i = 1; i < parts.Length; i++) prefixes.Add(string.Join(".", parts.Take(i)));
        }
        var modules = new HashSet<string>(nodes.Where(node => node.HasModule).Select(node => node.Path), StringComparer.Ordinal);
        var free = new HashSet<int>();
        for (var i = 0; i < nodes.Count; i++)
        {
            var node = nodes[i];
            if (node.HasModule || node.Path.Length == 0 || !HasModuleForm(node.Operation)) continue;
            if (counts[node.Path] != 1 || prefixes.Contains(node.Path)) continue;
            var parts = node.Path.Split('.');
            if (Enumerable.Range(1, parts.Length - 1).Any(length => modules.Contains(string.Join(".", parts.Take(length))))) continue;
            free.Add(i);
        }
        return free;
    }

    /// <summary>
    /// A residual whose shortcut the YAML writes before its body registers the shortcut's modules first (the analysis
    /// moves them so, as torchvision's RegNet has <c>proj</c> before <c>f</c>), while the graph lists the body's nodes
    /// first. Which was written first shows in the sites of the layers written in the residual itself (a block called
    /// there has its own file positions, so only nodes made in the same blocks as the sum count).
    /// </summary>
    private void ShortcutFirst(GraphNode add)
    {
        var group = Find(add.Path);
        if (group is null || add.Inputs.Count != 2) return;
        var body = Ancestors(add.Inputs[0], add.Path);
        var shortcut = Ancestors(add.Inputs[1], add.Path);
        var bodyOnly = body.Except(shortcut).ToList();
        var shortcutOnly = shortcut.Except(body).ToList();
        (int, int)? FirstSite(IEnumerable<int> nodes)
        {
            var written = nodes.Select(index => Graph.Nodes[index]).Where(node => node.Blocks.Equals(add.Blocks)).ToList();
            return written.Count == 0 ? null : written.Min(node => (node.Site.StartLine, node.Site.StartColumn));
        }
        if (FirstSite(shortcutOnly) is not { } shortcutSite || FirstSite(bodyOnly) is not { } bodySite || shortcutSite.CompareTo(bodySite) >= 0) return;
        PathNode? ChildHolding(int index)
        {
            var path = Graph.Nodes[index].Path;
            var prefix = group.Path.Length == 0 ? "" : group.Path + ".";
            if (!path.StartsWith(prefix, StringComparison.Ordinal) || path.Length == prefix.Length) return null;
            return group.Child(path.Substring(prefix.Length).Split('.')[0]);
        }
        var moved = shortcutOnly.Select(ChildHolding).OfType<PathNode>().Distinct().ToList();
        var bodyChildren = bodyOnly.Select(ChildHolding).OfType<PathNode>().Distinct().ToList();
        if (moved.Count == 0 || bodyChildren.Count == 0 || moved.Intersect(bodyChildren).Any()) return;
        var at = bodyChildren.Min(child => group.Children.IndexOf(child));
        foreach (var child in moved) group.Children.Remove(child);
        group.Children.InsertRange(Math.Min(at, group.Children.Count), moved);
    }

    /// <summary>
    /// An aux head that taps a layer below the top level (<c>backbone.layer3</c>) is registered after every top-level
    /// module, as the C# class registers it (torchvision's segmentation models register <c>aux_classifier</c> last); one
    /// that taps a top-level layer stays right after it (GoogLeNet's aux1).
    /// </summary>
    private void HeadsTappingDeeperLast()
    {
        foreach (var aux in Graph.AuxOutputs.Where(aux => aux.TappedAt.Contains('.')))
            if (Root.Child(aux.Name) is { } head)
            {
                Root.Children.Remove(head);
                Root.Children.Add(head);
            }
    }

    /// <summary>
    /// The children of every group that hold state-dict tensors, in the order the C# class registers them (its state
    /// dict's order): a mapping's <c>register_order</c> (Ultralytics' C2f registers cv2 before m, which runs first) moves
    /// modules the graph lists in forward order. The others keep their places.
    /// </summary>
    private void FollowRegistrationOrder()
    {
        if (Graph.StateDictOrder.Count == 0) return;
        var first = new Dictionary<string, int>(StringComparer.Ordinal);
        var rank = 0;
        foreach (var key in Graph.StateDictOrder)
        {
            var parts = key.Split('.');
            for (var length = 1; length < parts.Length; length++) first.TryAdd(string.Join(".", parts.Take(length)), rank);
            rank++;
        }
        foreach (var group in Walk(Root).Where(group => !group.IsLeaf).ToList())
        {
            var ranked = group.Children.Where(child => first.ContainsKey(child.Path)).ToList();
            if (ranked.Count < 2) continue;
            var places = ranked.Select(child => group.Children.IndexOf(child)).ToList();
            var ordered = ranked.OrderBy(child => first[child.Path]).ToList();
            for (var i = 0; i < places.Count; i++) group.Children[places[i]] = ordered[i];
        }
    }

    /// <summary>The nodes a value is computed from, within the module path <paramref name="under"/>.</summary>
    private HashSet<int> Ancestors(int value, string under)
    {
        var found = new HashSet<int>();
        var pending = new Stack<int>();
        pending.Push(value);
        var prefix = under.Length == 0 ? "" : under + ".";
        while (pending.Count > 0)
        {
            if (!_producer.TryGetValue(pending.Pop(), out var index)) continue;
            var node = Graph.Nodes[index];
            if (node.Path != under && !node.Path.StartsWith(prefix, StringComparison.Ordinal) || !found.Add(index)) continue;
            foreach (var input in node.Inputs) pending.Push(input);
        }
        return found;
    }

    private PathNode? Find(string path)
    {
        var at = Root;
        if (path.Length == 0) return at;
        foreach (var segment in path.Split('.'))
        {
            at = at.Child(segment)!;
            if (at is null) return null;
        }
        return at;
    }

    private static bool HasModuleForm(Operation operation) => operation is ActivationOp or LeakyReluOp or MaxPoolOp or AvgPoolOp or AdaptiveAvgPoolOp
        or FlattenOp or PermuteOp or StochasticDepthOp or ScaleOp or ChannelShuffleOp or UpsampleOp or GlobalAvgPoolOp;

    private PathNode Insert(string path, GraphNode node)
    {
        if (path.Length == 0) throw new PyTorchExportException(PyTorchExport.Unsupported, "a layer with a module has no module path", node.Site);
        var at = Root;
        var prefix = "";
        foreach (var segment in path.Split('.'))
        {
            if (at.IsLeaf)
                throw new PyTorchExportException(PyTorchExport.Unsupported, $"the module '{PythonText.Comment(at.Path)}' would hold other modules ('{PythonText.Comment(path)}')", node.Site);
            prefix = prefix.Length == 0 ? segment : prefix + "." + segment;
            var next = at.Child(segment);
            if (next is null)
            {
                next = new PathNode(segment, prefix, at) { Kind = PathKind.Container };
                at.Children.Add(next);
            }
            at = next;
        }
        return at;
    }

    public IReadOnlyList<int> Consumers(int value) => _consumers.TryGetValue(value, out var list) ? list : Array.Empty<int>();

    public bool IsSink(int value) => _sinks.Contains(value);

    /// <summary>Whether a group is one step (contiguous, one value out, all of one aux head or none), and which kind.</summary>
    private void Classify(PathNode group)
    {
        group.Kind = PathKind.Container;
        var members = group.Members;
        if (members.Count == 0 || members[^1] - members[0] + 1 != members.Count) return;
        var aux = Node(members[0]).Aux;
        if (members.Any(member => Node(member).Aux != aux)) return;
        var inside = new HashSet<int>(members);
        var produced = new HashSet<int>(members.Select(member => Node(member).Output));
        var inputs = new List<int>();
        foreach (var member in members)
            foreach (var input in Node(member).Inputs)
                if (!produced.Contains(input) && !inputs.Contains(input)) inputs.Add(input);
        var outputs = produced.Where(value => IsSink(value) || Consumers(value).Any(consumer => !inside.Contains(consumer))).ToList();
        if (outputs.Count != 1 || inputs.Count == 0) return;
        group.Inputs.AddRange(inputs);
        group.Output = outputs[0];
        group.Kind = PathKind.Class;
        if (IsChain(group)) group.Kind = PathKind.Sequential;
    }

    /// <summary>Each child in turn takes the one before's value (the first the group's input) and nothing else happens.</summary>
    private bool IsChain(PathNode group)
    {
        if (group.Inputs.Count != 1) return false;
        // nn.Sequential's own methods cannot name its children.
        if (!group.HasIndexedChildren && group.Children.Any(child => child.Segment is "append" or "extend" or "insert" or "pop")) return false;
        var units = Units(group);
        if (units.Count != group.Children.Count) return false;
        var value = group.Inputs[0];
        for (var i = 0; i < units.Count; i++)
        {
            var unit = units[i];
            if (unit.Target != group.Children[i] || unit.Target.Kind == PathKind.Parameter) return false;
            if (unit.Inputs.Count != 1 || unit.Inputs[0] != value) return false;
            if (i > 0 && Consumers(value).Any(consumer => consumer < unit.First || consumer > unit.Last)) return false;
            value = unit.Output;
        }
        return value == group.Output;
    }

    /// <summary>
    /// The steps of <paramref name="region"/>'s forward, in order: the shallowest group below it that is one step,
    /// else the node's own leaf module, else the node itself (a function, a join).
    /// </summary>
    public List<Unit> Units(PathNode region)
    {
        var units = new List<Unit>();
        var members = region.Members;
        for (var k = 0; k < members.Count; k++)
        {
            var index = members[k];
            var chain = new List<PathNode>();
            for (var at = _attach[index]; at != region && at is not null; at = at.Parent) chain.Insert(0, at);
            var step = chain.FirstOrDefault(candidate => candidate.IsCallable);
            if (step is not null)
            {
                units.Add(new Unit(step, -1, step.Inputs, step.Output, Node(step.Members[0]).Aux, step.Members[0], step.Members[^1]));
                while (k + 1 < members.Count && members[k + 1] <= step.Members[^1]) k++;
                continue;
            }
            var node = Node(index);
            var leaf = _attach[index];
            var target = leaf.IsLeaf && leaf.Node == index && leaf != region ? leaf : null;
            units.Add(new Unit(target, index, node.Inputs.ToList(), node.Output, node.Aux, index, index));
        }
        return units;
    }

    /// <summary>The value's shape: the input's, or its node's.</summary>
    public TensorShape Shape(int value) => value == NetworkGraph.InputValue ? Graph.Input : Node(_producer[value]).Shape;

    public int Producer(int value) => _producer.TryGetValue(value, out var index) ? index : -1;
}
