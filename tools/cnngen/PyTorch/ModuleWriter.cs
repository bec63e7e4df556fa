using System.Globalization;
using System.Text;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Tool.PyTorch;

/// <summary>
/// Writes the Python module for the already checked graphs of one file: the block classes (innermost first; a class per
/// distinct code, shared by the variants), then each network class, then the helpers they use.
/// </summary>
internal sealed class ModuleWriter
{
    private const string Indent = "    ";

    /// <summary>The attributes and methods of nn.Sequential and nn.ModuleDict besides nn.Module's.</summary>
    private static readonly HashSet<string> ModuleDictMembers = new(StringComparer.Ordinal) { "clear", "items", "keys", "pop", "update", "values" };

    /// <summary>Attributes that are sizes of channels or features: a parameter for one is named after its layer.</summary>
    private static readonly HashSet<string> ChannelAttributes = new(StringComparer.Ordinal)
    {
        "in_channels", "out_channels", "num_features", "in_features", "out_features", "channels", "normalized_shape",
    };

    private readonly IReadOnlyList<NetworkGraph> _graphs;
    private readonly string _sourceName;
    private readonly HashSet<string> _helpers = new(StringComparer.Ordinal);
    private readonly OperationWriter _operations;
    private readonly Dictionary<PathNode, (BlockClass Class, int Instance)> _classOf = new();
    private readonly List<BlockClass> _classes = new();
    private readonly HashSet<string> _globalNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _argumentNames = new(StringComparer.Ordinal);

    /// <summary>Module-level names that are not block classes: a block by one of these names gets "Block" appended.</summary>
    private readonly HashSet<string> _reservedNames;
    private readonly Dictionary<string, int> _baseNameCount = new(StringComparer.Ordinal);
    private bool _usesOrderedDict;
    private readonly HashSet<PathNode> _sequentialClasses = new();

    /// <summary>A group written as a class of its own: one with a forward, or a chain that is a block's instance.</summary>
    private bool IsClass(PathNode node) => node.Kind == PathKind.Class || _sequentialClasses.Contains(node);

    public ModuleWriter(IReadOnlyList<NetworkGraph> graphs, string sourceName)
    {
        _graphs = graphs;
        _sourceName = sourceName;
        _operations = new OperationWriter(new PythonExpressions(_helpers), _helpers);
        _globalNames.UnionWith(PythonText.FileNames);
        _globalNames.UnionWith(PythonText.Keywords);
        _globalNames.UnionWith(PythonHelpers.Names);
        foreach (var graph in graphs)
        {
            _globalNames.Add(graph.ClassName);
            _globalNames.Add(graph.ClassName + "Outputs");
            _globalNames.UnionWith(graph.Arguments.Select(argument => argument.Name));
            _argumentNames.UnionWith(graph.Arguments.Select(argument => argument.Name));
            _argumentNames.UnionWith(graph.DerivedSizes.Select(derived => derived.Name));
            _globalNames.UnionWith(graph.DerivedSizes.Select(derived => derived.Name));
        }
        _reservedNames = new HashSet<string>(_globalNames, StringComparer.Ordinal);
    }

    /// <summary>A group's class: its name, its parameters, and its instances (drafts with the same code).</summary>
    private sealed class BlockClass
    {
        public required string Name { get; init; }
        public required List<Draft> Instances { get; init; }
        public List<Parameter> Parameters { get; } = new();

        /// <summary>How each hole is written: a constant's text, or a parameter's index.</summary>
        public Dictionary<int, string> Constants { get; } = new();
        public Dictionary<int, Parameter> ParameterOf { get; } = new();
        public string Text { get; set; } = "";
    }

    private sealed class Parameter
    {
        public required string Name { get; init; }
        public string? Attribute { get; set; }
        public required List<PyValue> Values { get; init; }
    }

    /// <summary>One group's code with holes, before the instances are compared.</summary>
    private sealed class Draft
    {
        public required PathNode Group { get; init; }
        public required NetworkLayout Layout { get; init; }
        public required string BaseName { get; init; }
        public required List<Hole> Holes { get; init; }
        public required string Init { get; init; }
        public required string Forward { get; init; }
        public required PyValue? InChannels { get; init; }
        public required PyValue? OutChannels { get; init; }

        public string Key => Group.Kind + "\u0000" + BaseName + "\u0000" + Init + "\u0000" + Forward + "\u0000" +
                             string.Join("\u0001", Holes.Select(hole => hole.Attribute + "\u0002" + hole.Local + "\u0002" + hole.Forward));
    }

    public string Write()
    {
        var layouts = _graphs.Select((graph, index) => new NetworkLayout(graph, index)).ToList();
        // A chain that is one YAML block's instance gets a class too (an nn.Sequential subclass, as torchvision's
        // Conv2dNormActivation): the blocks' instances then read as calls with their sizes.
        foreach (var layout in layouts)
            foreach (var node in NetworkLayout.Walk(layout.Root).Where(node => node.Kind == PathKind.Sequential))
                if (CommonFrames(layout, node).Count > (Above(node) is { } above ? CommonFrames(layout, above).Count : 0)) _sequentialClasses.Add(node);
        var groups = layouts.SelectMany(layout => NetworkLayout.Walk(layout.Root).Where(IsClass).Select(node => (layout, node))).ToList();
        var heights = groups.ToDictionary(group => group.node, group => Height(group.node));
        foreach (var height in heights.Values.Distinct().Order())
        {
            var drafts = groups.Where(group => heights[group.node] == height).Select(group => MakeDraft(group.layout, group.node)).ToList();
            foreach (var same in drafts.GroupBy(draft => draft.Key, StringComparer.Ordinal))
            {
                // A chain's class only pays when the block is used more than once; else it is written where it is.
                if (same.Count() == 1 && same.First().Group.Kind == PathKind.Sequential)
                {
                    _sequentialClasses.Remove(same.First().Group);
                    continue;
                }
                _classes.Add(Resolve(same.ToList()));
            }
        }
        var networks = layouts.Select(WriteNetwork).ToList();

        var text = new StringBuilder();
        text.AppendLine($"# Generated by cnngen from {PythonText.Comment(_sourceName)}: {PythonText.Comment(string.Join(", ", _graphs.Select(graph => graph.ClassName)))}.");
        text.AppendLine("# Written from the same analysis as the C# class (the network's graph): the module tree and the state-dict");
        text.AppendLine("# keys, shapes and order are the graph's, so the C# class's checkpoints load with load_state_dict. Do not edit;");
        text.AppendLine("# export the YAML again instead (cnngen export <file.cnn.yaml> --pytorch <file.py>).");
        if (_helpers.Contains("math")) text.AppendLine("import math");
        var collections = new List<string>();
        if (_usesOrderedDict) collections.Add("OrderedDict");
        if (_graphs.Any(graph => graph.AuxOutputs.Count > 0 || graph.Outputs.Count > 0)) collections.Add("namedtuple");
        if (collections.Count > 0) text.AppendLine($"from collections import {string.Join(", ", collections)}");
        if (_helpers.Contains("math") || collections.Count > 0) text.AppendLine();
        text.AppendLine("import torch");
        text.AppendLine("from torch import nn");
        text.AppendLine("from torch.nn import functional as F");
        text.AppendLine();
        text.AppendLine($"__all__ = [{string.Join(", ", _graphs.Select(graph => PythonText.Literal(graph.ClassName)))}]");
        foreach (var helper in PythonHelpers.Code(_helpers.Where(name => name != "math")))
            text.AppendLine().AppendLine().AppendLine(helper);
        foreach (var block in _classes)
            text.AppendLine().AppendLine().Append(block.Text);
        foreach (var network in networks)
            text.AppendLine().AppendLine().Append(network);
        return text.ToString();
    }

    /// <summary>How many class groups are nested below a group: classes are written (and resolved) innermost first.</summary>
    private int Height(PathNode node) =>
        node.Children.Select(child => Height(child) + (IsClass(child) ? 1 : 0)).DefaultIfEmpty(0).Max();

    // ------------------------------------------------------------------------------------------------ drafts

    private Draft MakeDraft(NetworkLayout layout, PathNode group)
    {
        var holes = new List<Hole>();
        var init = new Template(holes, forward: false);
        var forward = new Template(holes, forward: true);
        if (group.Kind == PathKind.Sequential)
        {
            // nn.Sequential's forward: the constructor hands it the children.
            init.Add(Indent + Indent + "super().__init__(");
            Children(init, layout, group, group, Indent + Indent, group.HasIndexedChildren ? "" : "OrderedDict([", group.HasIndexedChildren ? ")" : "]))", !group.HasIndexedChildren);
            init.Add("\n");
            return new Draft
            {
                Group = group,
                Layout = layout,
                BaseName = BaseName(layout, group),
                Holes = holes,
                Init = init.Text,
                Forward = "",
                InChannels = Channels(layout.Shape(group.Inputs[0])),
                OutChannels = Channels(layout.Shape(group.Output)),
            };
        }
        foreach (var child in group.Children) Register(init, layout, group, child, Indent + Indent);
        var units = layout.Units(group);
        var inputs = group.Inputs.Count == 1 ? new[] { "x" } : group.Inputs.Select((_, i) => i == 0 ? "x" : "x" + PythonText.Int(i)).ToArray();
        forward.Add($"{Indent}def forward(self, {string.Join(", ", inputs)}):\n");
        WriteSteps(forward, layout, group, units, group.Inputs, inputs, new[] { group.Output }, Indent + Indent, null);
        return new Draft
        {
            Group = group,
            Layout = layout,
            BaseName = BaseName(layout, group),
            Holes = holes,
            Init = init.Text,
            Forward = forward.Text,
            InChannels = group.Inputs.Count == 1 ? Channels(layout.Shape(group.Inputs[0])) : null,
            OutChannels = Channels(layout.Shape(group.Output)),
        };
    }

    private PyValue? Channels(TensorShape shape) => shape.Dims.Count > 0 ? _operations.Of(shape.Dims[0]) : null;

    /// <summary>
    /// The class's name: its block's (the innermost YAML block all its layers were made in, when the group above shares
    /// it only as a part), else its path's last name without the index (<c>denseblock1</c> -> <c>Denseblock</c>).
    /// </summary>
    private static string BaseName(NetworkLayout layout, PathNode group)
    {
        var common = CommonFrames(layout, group);
        var above = Above(group) is { } parent ? CommonFrames(layout, parent).Count : 0;
        var segmentName = PythonText.ClassName(group.Segment.TrimEnd('0', '1', '2', '3', '4', '5', '6', '7', '8', '9', '-', '_'));
        if (common.Count > 0)
        {
            var block = PythonText.ClassName(common[^1].Block) ?? "Block";
            return common.Count > above ? block : block + (segmentName ?? "");
        }
        return segmentName ?? "Block";
    }

    /// <summary>The nearest group above with more layers (a group of one block shares that block's frames).</summary>
    private static PathNode? Above(PathNode group)
    {
        var parent = group.Parent;
        while (parent is not null && parent.Members.Count == group.Members.Count) parent = parent.Parent;
        return parent;
    }

    private static List<BlockFrame> CommonFrames(NetworkLayout layout, PathNode group)
    {
        List<BlockFrame>? common = null;
        foreach (var member in group.Members)
        {
            var frames = layout.Node(member).Blocks;
            if (common is null)
            {
                common = frames.ToList();
                continue;
            }
            var length = 0;
            while (length < common.Count && length < frames.Count && common[length].Equals(frames[length])) length++;
            common.RemoveRange(length, common.Count - length);
        }
        return common ?? new List<BlockFrame>();
    }

    /// <summary><c>self.name = ...</c> for a child of a class (or the network), with its construction.</summary>
    private void Register(Template t, NetworkLayout layout, PathNode owner, PathNode child, string indent)
    {
        var plain = PythonText.IsPlainName(child.Segment);
        if (plain) t.Add($"{indent}self.{child.Segment} = ");
        else t.Add($"{indent}self.{(child.Kind == PathKind.Parameter ? "register_parameter" : "add_module")}({PythonText.Literal(child.Segment)}, ");
        Construct(t, layout, owner, child, indent);
        t.Add(plain ? "\n" : ")\n");
    }

    /// <summary>What a child is built as: its layer's module, an nn.Sequential of its children, its class, or a container.</summary>
    private void Construct(Template t, NetworkLayout layout, PathNode owner, PathNode node, string indent)
    {
        var local = Local(owner, node);
        switch (node.Kind)
        {
            case PathKind.Module or PathKind.Free or PathKind.Parameter:
                _operations.Construct(t, layout.Node(node.Node), layout, local);
                break;
            case PathKind.Class or PathKind.Sequential when _classOf.ContainsKey(node):
                var (block, instance) = _classOf[node];
                t.Add(block.Name + "(");
                var keywords = block.Parameters.Count > 3;
                for (var i = 0; i < block.Parameters.Count; i++)
                {
                    var parameter = block.Parameters[i];
                    if (i > 0) t.Add(", ");
                    if (keywords) t.Add(parameter.Name + "=");
                    t.Value(parameter.Values[instance], parameter.Name, local);
                }
                t.Add(")");
                break;
            case PathKind.Sequential:
                Children(t, layout, owner, node, indent, node.HasIndexedChildren ? "nn.Sequential(" : "nn.Sequential(OrderedDict([", node.HasIndexedChildren ? ")" : "]))", !node.HasIndexedChildren);
                break;
            case PathKind.Container:
                var type = ContainerType(node);
                Children(t, layout, owner, node, indent, type switch { "ModuleList" => "nn.ModuleList([", "ModuleDict" => "nn.ModuleDict([", _ => "_Group([" }, "])", type != "ModuleList");
                if (type == "_Group") _helpers.Add("_Group");
                break;
            default:
                throw new PyTorchExportException(PyTorchExport.Unsupported, $"'{PythonText.Comment(node.Path)}' cannot be built");
        }
    }

    private void Children(Template t, NetworkLayout layout, PathNode owner, PathNode node, string indent, string open, string close, bool named)
    {
        if (named && open.Contains("OrderedDict", StringComparison.Ordinal)) _usesOrderedDict = true;
        t.Add(open + "\n");
        var inner = indent + Indent;
        foreach (var child in node.Children)
        {
            t.Add(inner);
            if (named) t.Add($"({PythonText.Literal(child.Segment)}, ");
            Construct(t, layout, owner, child, inner);
            t.Add(named ? "),\n" : ",\n");
        }
        t.Add(indent + close);
    }

    /// <summary>nn.ModuleList for "0", "1", ...; nn.ModuleDict for other names it accepts; else the helper _Group (which also holds parameters).</summary>
    private static string ContainerType(PathNode container)
    {
        if (container.Children.Any(child => child.Kind == PathKind.Parameter)) return "_Group";
        if (container.HasIndexedChildren) return "ModuleList";
        return container.Children.All(child => PythonText.IsPlainName(child.Segment) && !ModuleDictMembers.Contains(child.Segment)) ? "ModuleDict" : "_Group";
    }

    /// <summary>A layer's path inside its class as part of a parameter name: <c>downsample.0</c> -> <c>downsample_0</c>.</summary>
    private static string Local(PathNode owner, PathNode node) => Local(owner, node.Path);

    private static string Local(PathNode owner, string path)
    {
        var relative = owner.Path.Length == 0 ? path : path.Length > owner.Path.Length ? path.Substring(owner.Path.Length + 1) : "";
        var text = relative.Replace('.', '_').Replace('-', '_');
        return text.Length > 0 && char.IsDigit(text[0]) ? "layer" + text : text;
    }

    /// <summary>How the forward of <paramref name="owner"/> reaches <paramref name="target"/>: <c>self.layer1[0].conv1</c>.</summary>
    private static string Access(PathNode owner, PathNode target)
    {
        var chain = new List<PathNode>();
        for (var at = target; at != owner; at = at.Parent!) chain.Insert(0, at);
        var text = "self";
        foreach (var node in chain)
        {
            var parent = node.Parent!;
            var indexed = parent.HasIndexedChildren && (parent.Kind == PathKind.Sequential || parent.Kind == PathKind.Container && ContainerType(parent) == "ModuleList");
            if (indexed) text += $"[{node.Segment}]";
            else if (PythonText.IsPlainName(node.Segment)) text += "." + node.Segment;
            else text = $"getattr({text}, {PythonText.Literal(node.Segment)})";
        }
        return text;
    }

    // ------------------------------------------------------------------------------------------------ forward

    /// <summary>
    /// The statements of a forward: each step's value gets a name (<c>x</c> or <c>out</c> for a value the next step
    /// alone reads, the layer's name for one read later), then the values <paramref name="returns"/> are returned.
    /// With <paramref name="auxNames"/> (the network's aux heads), the aux steps run only <c>if with_aux</c>.
    /// </summary>
    private void WriteSteps(Template t, NetworkLayout layout, PathNode owner, IReadOnlyList<Unit> units, IReadOnlyList<int> inputs,
        IReadOnlyList<string> inputNames, IReadOnlyList<int> returns, string indent, IReadOnlyDictionary<string, int>? auxNames, string? returnType = null)
    {
        var lastUse = new Dictionary<int, int>();
        for (var i = 0; i < units.Count; i++)
            foreach (var input in units[i].Inputs)
                lastUse[input] = i;
        foreach (var value in returns) lastUse[value] = int.MaxValue;
        var auxValues = auxNames?.ToDictionary(pair => pair.Value, pair => pair.Key) ?? new Dictionary<int, string>();
        var reserved = new HashSet<string>(PythonText.FileNames.Concat(PythonText.Keywords).Concat(PythonHelpers.Names), StringComparer.Ordinal) { "with_aux" };
        if (auxNames is not null) reserved.UnionWith(auxNames.Keys);
        var names = new Dictionary<int, string>();
        var holder = new Dictionary<string, int>(StringComparer.Ordinal);
        for (var i = 0; i < inputs.Count; i++)
        {
            names[inputs[i]] = inputNames[i];
            holder[inputNames[i]] = inputs[i];
        }
        bool Free(string name, int step) => !reserved.Contains(name) && (!holder.TryGetValue(name, out var held) || lastUse.GetValueOrDefault(held, -1) <= step);

        var returned = false;
        for (var i = 0; i < units.Count; i++)
        {
            var unit = units[i];
            var args = unit.Inputs.Select(input => names[input]).ToList();
            string name;
            if (auxValues.TryGetValue(unit.Output, out var auxName)) name = auxName;
            else
            {
                var readers = Enumerable.Range(i + 1, units.Count - i - 1).Where(j => units[j].Inputs.Contains(unit.Output)).ToList();
                var nextOnly = readers.Count == 1 && readers[0] == i + 1 && !returns.Contains(unit.Output);
                var preferred = nextOnly ? new[] { "x", "out" } : returns.Contains(unit.Output) ? new[] { "out" } : Array.Empty<string>();
                name = preferred.FirstOrDefault(candidate => Free(candidate, i)) ?? Descriptive(layout, unit, i, Free);
            }
            names[unit.Output] = name;
            holder[name] = unit.Output;

            var stepIndent = indent;
            var aux = unit.Aux is not null && auxNames is not null;
            var alone = aux && (i == 0 || units[i - 1].Aux != unit.Aux) && (i + 1 == units.Count || units[i + 1].Aux != unit.Aux);
            if (aux && !alone && (i == 0 || units[i - 1].Aux != unit.Aux))
                t.Add($"{indent}{unit.Aux} = None\n{indent}if with_aux:\n");
            if (aux && !alone) stepIndent += Indent;
            var last = i == units.Count - 1 && returns.Count == 1 && returns[0] == unit.Output && auxNames is null && returnType is null;
            t.Add(stepIndent + (last ? "return " : name + " = "));
            Expression(t, layout, owner, unit, args);
            if (alone) t.Add(" if with_aux else None");
            t.Add("\n");
            returned |= last;
        }
        if (!returned)
        {
            var values = string.Join(", ", returns.Select(value => names.TryGetValue(value, out var name) ? name : throw new PyTorchExportException(PyTorchExport.Unsupported, "a returned value is not computed in its forward")));
            t.Add(indent + "return " + (returnType is null ? values : $"{returnType}({values})") + "\n");
        }
    }

    /// <summary>A name for a value read later: the step's layer (<c>branch1</c>, <c>downsample</c>) or what the node is.</summary>
    private static string Descriptive(NetworkLayout layout, Unit unit, int step, Func<string, int, bool> free)
    {
        var target = unit.Target;
        string stem;
        // The YAML's own name for the value (output=low, or the key of a join), else the layer's, else what the node is.
        var named = layout.NameOf(unit.Output);
        if (named is not null && PythonText.IsPlainName(named) && !named.StartsWith("_", StringComparison.Ordinal)) stem = named;
        else if (target is not null && PythonText.IsPlainName(target.Segment) && !target.Segment.StartsWith("_", StringComparison.Ordinal)) stem = target.Segment;
        else
        {
            var operation = layout.Node(unit.Node >= 0 ? unit.Node : unit.Last).Operation;
            stem = operation switch
            {
                ChannelSliceOp => "part",
                ConcatOp => "cat",
                AddOp => "total",
                MulOp => "gated",
                _ => operation.Kind,
            };
        }
        if (free(stem, step)) return stem;
        for (var n = 2; ; n++)
            if (free(stem + PythonText.Int(n), step)) return stem + PythonText.Int(n);
    }

    private void Expression(Template t, NetworkLayout layout, PathNode owner, Unit unit, IReadOnlyList<string> args)
    {
        var target = unit.Target;
        if (target is null) _operations.Function(t, layout.Node(unit.Node), layout, args, Local(owner, layout.Node(unit.Node).Path));
        else if (target.Kind == PathKind.Parameter) t.Add($"{args[0]} * {Access(owner, target)}");
        else t.Add($"{Access(owner, target)}({string.Join(", ", args)})");
    }

    // ------------------------------------------------------------------------------------------------ classes

    /// <summary>
    /// One class for drafts with the same code: a hole the same constant in every instance stays a constant; holes that
    /// differ (or follow a model argument) become constructor parameters, one per distinct column of values, named
    /// <c>in_channels</c>/<c>out_channels</c> when they are the group's, else after what they are.
    /// </summary>
    private BlockClass Resolve(List<Draft> drafts)
    {
        var first = drafts[0];
        var block = new BlockClass { Name = NewClassName(first.BaseName), Instances = drafts };
        var columns = new Dictionary<string, Parameter>(StringComparer.Ordinal);
        var used = new HashSet<string>(StringComparer.Ordinal);
        var children = new HashSet<string>(first.Group.Children.Select(child => child.Segment), StringComparer.Ordinal);
        string? Column(Func<Draft, PyValue?> value) =>
            drafts.All(draft => value(draft) is not null) ? string.Join("\u0001", drafts.Select(draft => value(draft)!.Value.Text)) : null;
        var inColumn = Column(draft => draft.InChannels);
        var outColumn = Column(draft => draft.OutChannels);
        for (var k = 0; k < first.Holes.Count; k++)
        {
            var values = drafts.Select(draft => draft.Holes[k].Value).ToList();
            if (values.All(value => value.Literal && value.Text == values[0].Text))
            {
                block.Constants[k] = values[0].Text;
                continue;
            }
            var column = string.Join("\u0001", values.Select(value => value.Text));
            if (!columns.TryGetValue(column, out var parameter))
            {
                var hole = first.Holes[k];
                var candidates = new List<string>();
                if (column == inColumn) candidates.Add("in_channels");
                if (column == outColumn) candidates.Add("out_channels");
                if (!ChannelAttributes.Contains(hole.Attribute) || hole.Local.Length == 0) candidates.Add(hole.Attribute);
                if (hole.Local.Length > 0) candidates.Add(hole.Local + "_" + hole.Attribute);
                var name = candidates.Concat(Enumerable.Range(2, 1000).Select(n => hole.Attribute + PythonText.Int(n)))
                    .First(candidate => IsParameterName(candidate) && !used.Contains(candidate));
                used.Add(name);
                parameter = new Parameter { Name = name, Values = values };
                columns[column] = parameter;
                block.Parameters.Add(parameter);
            }
            if (first.Holes[k].Forward && parameter.Attribute is null)
                parameter.Attribute = children.Contains(parameter.Name) || PythonText.ModuleAttributes.Contains(parameter.Name) ? parameter.Name + "_value" : parameter.Name;
            block.ParameterOf[k] = parameter;
        }
        for (var i = 0; i < drafts.Count; i++) _classOf[drafts[i].Group] = (block, i);
        block.Text = RenderClass(block, first);
        return block;
    }

    /// <summary>A block class's parameter: not a module-level name (the model arguments are the network constructor's, not global).</summary>
    private bool IsParameterName(string name) =>
        PythonText.IsPlainName(name) && !name.StartsWith("_", StringComparison.Ordinal) && name != "x"
        && (!_globalNames.Contains(name) || _argumentNames.Contains(name) && !PythonText.FileNames.Contains(name) && !PythonHelpers.Names.Contains(name));

    private string NewClassName(string baseName)
    {
        var name = baseName;
        if (_reservedNames.Contains(name)) name += "Block";
        var count = _baseNameCount.GetValueOrDefault(name) + 1;
        _baseNameCount[name] = count;
        var candidate = count == 1 ? name : name + PythonText.Int(count);
        while (_globalNames.Contains(candidate)) candidate += "_";
        _globalNames.Add(candidate);
        return candidate;
    }

    private static string RenderClass(BlockClass block, Draft draft)
    {
        string Resolve(int hole, bool forward)
        {
            if (block.Constants.TryGetValue(hole, out var constant)) return constant;
            var parameter = block.ParameterOf[hole];
            return forward ? "self." + parameter.Attribute : parameter.Name;
        }
        var text = new StringBuilder();
        text.AppendLine($"class {block.Name}({(draft.Forward.Length == 0 ? "nn.Sequential" : "nn.Module")}):");
        var parameters = block.Parameters.Count == 0 ? "" : ", " + string.Join(", ", block.Parameters.Select(parameter => parameter.Name));
        text.AppendLine($"{Indent}def __init__(self{parameters}):");
        if (draft.Forward.Length > 0) text.AppendLine($"{Indent}{Indent}super().__init__()");
        foreach (var parameter in block.Parameters.Where(parameter => parameter.Attribute is not null))
            text.AppendLine($"{Indent}{Indent}self.{parameter.Attribute} = {parameter.Name}");
        text.Append(Template.Render(draft.Init, hole => Resolve(hole, forward: false)));
        if (draft.Forward.Length > 0) text.AppendLine().Append(Template.Render(draft.Forward, hole => Resolve(hole, forward: true)));
        return text.ToString();
    }

    // ------------------------------------------------------------------------------------------------ networks

    private string WriteNetwork(NetworkLayout layout)
    {
        var graph = layout.Graph;
        var root = layout.Root;
        var holes = new List<Hole>();
        var init = new Template(holes, forward: false);
        foreach (var child in root.Children) Register(init, layout, root, child, Indent + Indent);
        var forward = new Template(holes, forward: true);
        WriteNetworkForward(forward, layout);

        // At the network, every hole is its value: constants as they are, sizes as expressions over the arguments.
        // A value forward needs that follows an argument is kept on the module.
        var stored = new List<(string Name, string Value)>();
        var storedOf = new Dictionary<string, string>(StringComparer.Ordinal);
        var children = new HashSet<string>(root.Children.Select(child => child.Segment), StringComparer.Ordinal);
        string Resolve(int index, bool inForward)
        {
            var hole = holes[index];
            if (!inForward || hole.Value.Literal) return hole.Value.Text;
            if (!storedOf.TryGetValue(hole.Value.Text, out var name))
            {
                var stem = hole.Local.Length > 0 ? hole.Local + "_" + hole.Attribute : hole.Attribute;
                name = Enumerable.Range(1, 1000).Select(n => n == 1 ? stem : stem + PythonText.Int(n))
                    .First(candidate => !children.Contains(candidate) && !PythonText.ModuleAttributes.Contains(candidate) && !PythonText.NetworkMembers.Contains(candidate)
                                        && stored.All(pair => pair.Name != candidate));
                stored.Add((name, hole.Value.Text));
                storedOf[hole.Value.Text] = name;
            }
            return "self." + name;
        }
        var forwardText = Template.Render(forward.Text, index => Resolve(index, inForward: true));
        var initText = Template.Render(init.Text, index => Resolve(index, inForward: false));

        var text = new StringBuilder();
        if (graph.AuxOutputs.Count > 0)
        {
            var fields = new[] { "output" }.Concat(graph.AuxOutputs.Select(aux => aux.Name));
            text.AppendLine($"{graph.ClassName}Outputs = namedtuple({PythonText.Literal(graph.ClassName + "Outputs")}, [{string.Join(", ", fields.Select(PythonText.Literal))}])");
            text.AppendLine().AppendLine();
        }
        if (graph.Outputs.Count > 0)
        {
            // What forward returns, by the YAML's names (torchvision's FPN returns them as a dict: _asdict() gives one).
            text.AppendLine($"{graph.ClassName}Outputs = namedtuple({PythonText.Literal(graph.ClassName + "Outputs")}, [{string.Join(", ", graph.Outputs.Select(output => PythonText.Literal(output.Name)))}])");
            text.AppendLine().AppendLine();
        }
        text.AppendLine($"class {graph.ClassName}(nn.Module):");
        var input = string.Join("x", graph.Input.Dims.Select(dim => PythonText.Int(dim.Value)));
        text.AppendLine($"{Indent}# Input {PythonText.Comment(input)} (C x H x W) at the default arguments; {PythonText.Int(graph.Parameters)} parameters there.");
        if (graph.AuxOutputs.Count > 0)
            text.AppendLine($"{Indent}# forward gives the main output; forward_with_aux {(graph.AuxOutputs.All(aux => aux.InEval) ? "" : "in training ")}also the aux heads' ({PythonText.Comment(string.Join(", ", graph.AuxOutputs.Select(aux => aux.Name)))}).");
        text.AppendLine($"{Indent}PARAMETERS = {PythonText.Int(graph.Parameters)}");
        text.AppendLine();
        var arguments = string.Join(", ", graph.Arguments.Select(argument => $"{argument.Name}={Default(argument)}"));
        text.AppendLine($"{Indent}def __init__(self{(arguments.Length > 0 ? ", " + arguments : "")}):");
        text.AppendLine($"{Indent}{Indent}super().__init__()");
        var expressions = new PythonExpressions(_helpers);
        foreach (var derived in graph.DerivedSizes)
            text.AppendLine($"{Indent}{Indent}{derived.Name} = {expressions.Print(derived.Definition)}");
        foreach (var (name, value) in stored)
            text.AppendLine($"{Indent}{Indent}self.{name} = {value}");
        text.Append(initText);
        var sizes = SizeArguments(graph);
        var check = $"{Indent}{Indent}count = sum(p.numel() for p in self.parameters())\n" +
                    $"{Indent}{Indent}if count != {PythonText.Int(graph.Parameters)}:\n" +
                    $"{Indent}{Indent}{Indent}raise RuntimeError({PythonText.Literal(graph.ClassName + " has %d parameters at the default sizes, its graph " + PythonText.Int(graph.Parameters))} % count)\n";
        if (sizes.Count == 0) text.Append(check);
        else
        {
            var names = string.Join(", ", sizes.Select(argument => argument.Name)) + (sizes.Count == 1 ? "," : "");
            var defaults = string.Join(", ", sizes.Select(Default)) + (sizes.Count == 1 ? "," : "");
            text.AppendLine($"{Indent}{Indent}# The parameter count is the graph's at the default sizes.");
            text.AppendLine($"{Indent}{Indent}if ({names}) == ({defaults}):");
            text.Append(string.Join("", check.Split('\n').Where(line => line.Length > 0).Select(line => Indent + line + "\n")));
        }
        text.AppendLine();
        text.Append(forwardText);
        return text.ToString();
    }

    /// <summary>The arguments the sizes (and so the parameter count) follow: those a size expression reads, directly or through a derived size.</summary>
    private static List<GraphArgument> SizeArguments(NetworkGraph graph)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        var derived = graph.DerivedSizes.ToDictionary(size => size.Name, size => size.Definition, StringComparer.Ordinal);
        var seen = new HashSet<string>(StringComparer.Ordinal);
        void Visit(SizeExpr expr)
        {
            foreach (var leaf in PythonExpressions.Leaves(expr))
            {
                if (leaf is ArgumentRef argument) names.Add(argument.YamlName);
                else if (leaf is DerivedRef reference && seen.Add(reference.Name) && derived.TryGetValue(reference.Name, out var definition)) Visit(definition);
            }
        }
        foreach (var node in graph.Nodes)
            foreach (var property in node.Operation.GetType().GetProperties())
                if (property.GetValue(node.Operation) is Dim { Expr: { } expr }) Visit(expr);
        foreach (var dim in graph.Input.Dims)
            if (dim.Expr is { } expr) Visit(expr);
        return graph.Arguments.Where(argument => names.Contains(argument.Name)).ToList();
    }

    private static string Default(GraphArgument argument) => argument.Type switch
    {
        "int" => PythonText.Int(long.Parse(argument.Default, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture)),
        "double" => PythonText.Float(double.Parse(argument.Default, NumberStyles.Float, CultureInfo.InvariantCulture)),
        "bool" => argument.Default switch
        {
            "true" or "True" => "True",
            "false" or "False" => "False",
            _ => throw new PyTorchExportException(PyTorchExport.Unsupported, $"the default of '{PythonText.Comment(argument.Name)}' is not true or false"),
        },
        _ => throw new PyTorchExportException(PyTorchExport.Unsupported, $"the model argument '{PythonText.Comment(argument.Name)}' has the type '{PythonText.Comment(argument.Type)}'"),
    };

    /// <summary>
    /// The network's forward: with aux heads, <c>forward</c> and <c>forward_with_aux</c> over one pass that runs the aux
    /// steps only when asked; with several outputs, one forward that returns them as a namedtuple; with a head that cuts
    /// cleanly, <c>forward_features</c> and <c>forward_head</c>; else one forward.
    /// </summary>
    private void WriteNetworkForward(Template t, NetworkLayout layout)
    {
        var graph = layout.Graph;
        var root = layout.Root;
        var units = layout.Units(root);
        var body = Indent + Indent;
        if (graph.AuxOutputs.Count > 0)
        {
            t.Add($"{Indent}def forward(self, x):\n{body}return self._forward(x, with_aux=False).output\n\n");
            // in_eval heads (torchvision's segmentation aux_classifier) run in eval mode too.
            var withAux = graph.AuxOutputs.All(aux => aux.InEval) ? "True" : "self.training";
            t.Add($"{Indent}def forward_with_aux(self, x):\n{body}return self._forward(x, with_aux={withAux})\n\n");
            t.Add($"{Indent}def _forward(self, x, with_aux):\n");
            var auxNames = graph.AuxOutputs.ToDictionary(aux => aux.Name, aux => aux.Value, StringComparer.Ordinal);
            WriteSteps(t, layout, root, units, new[] { NetworkGraph.InputValue }, new[] { "x" },
                new[] { graph.Output }.Concat(graph.AuxOutputs.Select(aux => aux.Value)).ToList(), body, auxNames, graph.ClassName + "Outputs");
            return;
        }
        if (graph.Outputs.Count > 0)
        {
            t.Add($"{Indent}def forward(self, x):\n");
            WriteSteps(t, layout, root, units, new[] { NetworkGraph.InputValue }, new[] { "x" }, graph.Outputs.Select(output => output.Value).ToList(), body, null, graph.ClassName + "Outputs");
            return;
        }
        if (graph.Head is { Clean: true } head && SplitAt(layout, units, head.FirstNode) is { } split)
        {
            var (cut, features) = split;
            t.Add($"{Indent}def forward(self, x):\n{body}return self.forward_head(self.forward_features(x))\n\n");
            t.Add($"{Indent}def forward_features(self, x):\n");
            WriteSteps(t, layout, root, units.Take(cut).ToList(), new[] { NetworkGraph.InputValue }, new[] { "x" }, new[] { features }, body, null);
            t.Add($"\n{Indent}def forward_head(self, x):\n");
            WriteSteps(t, layout, root, units.Skip(cut).ToList(), new[] { features }, new[] { "x" }, new[] { graph.Output }, body, null);
            return;
        }
        t.Add($"{Indent}def forward(self, x):\n");
        WriteSteps(t, layout, root, units, new[] { NetworkGraph.InputValue }, new[] { "x" }, new[] { graph.Output }, body, null);
    }

    /// <summary>Where the head's steps begin, and the one value the features hand it; null when no step boundary is there.</summary>
    private static (int Cut, int Features)? SplitAt(NetworkLayout layout, List<Unit> units, int firstNode)
    {
        var cut = units.FindIndex(unit => unit.First >= firstNode);
        if (cut <= 0 || units.Take(cut).Any(unit => unit.Last >= firstNode)) return null;
        var before = new HashSet<int>(units.Take(cut).Select(unit => unit.Output)) { NetworkGraph.InputValue };
        var crossing = units.Skip(cut).SelectMany(unit => unit.Inputs).Where(before.Contains).Distinct().ToList();
        if (crossing.Count != 1 || crossing[0] == NetworkGraph.InputValue || layout.IsSink(crossing[0])) return null;
        return (cut, crossing[0]);
    }
}
