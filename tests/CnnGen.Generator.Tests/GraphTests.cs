using System.Text.Json;
using CnnGen.Generator.Graph;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Model;
using CnnGen.Tool;

namespace CnnGen.Generator.Tests;

/// <summary>
/// The network graph (issue 25, slice b) is built beside the analysis' other outputs: for every zoo class it must
/// say what they say (counts, the state dict, the layer table) and its operations' attributes must determine its
/// shapes on their own, since the coming exporters will read nothing else.
/// </summary>
public class GraphTests
{
    public static TheoryData<string> ZooFiles() => ZooAnalysisTests.ZooFiles();

    [Theory]
    [MemberData(nameof(ZooFiles))]
    public void The_graph_has_the_analysis_counts_state_dict_and_layer_table(string file)
    {
        var result = Pipeline.CompileZoo(file);
        Assert.Empty(result.Problems);
        foreach (var model in result.Models)
        {
            var graph = model.Graph ?? throw new Xunit.Sdk.XunitException($"{model.ClassName} has no graph");
            Assert.Equal(model.ParameterCount, graph.Parameters);
            Assert.Equal(model.ParameterCount, graph.Nodes.Sum(node => node.Parameters));
            Assert.Equal(model.Macs, graph.Nodes.Sum(node => node.Macs));
            Assert.Equal(model.Steps.Count, graph.Nodes.Count);

            // The state dict, tensor by tensor (the analysis lists parameters before buffers; nodes in forward order).
            var fromNodes = graph.Nodes.SelectMany(node => node.Tensors).Select(tensor => $"{tensor.Key} [{string.Join(",", tensor.Shape)}] {tensor.Kind}").Order(StringComparer.Ordinal).ToList();
            var fromAnalysis = model.StateDict.Tensors.Select(tensor => $"{tensor.Name} [{string.Join(",", tensor.Shape)}] {tensor.Kind}").Order(StringComparer.Ordinal).ToList();
            Assert.Equal(fromAnalysis, fromNodes);
            Assert.Equal(model.StateDict.UncheckedPrefixes.Order(StringComparer.Ordinal), graph.Nodes.Where(node => node.TensorsUnknown).Select(node => node.Path).Order(StringComparer.Ordinal));

            // The layer table is the layer nodes, in order, with their paths' shapes.
            var layerNodes = graph.Nodes.Where(node => node.Operation is not (AddOp or MulOp or ConcatOp or ChannelSliceOp)).ToList();
            Assert.Equal(model.Layers.Select(row => string.Join("x", row.Output.Dims.Select(d => d.Int))), layerNodes.Select(node => string.Join("x", node.Shape.Dims.Select(d => d.Value))));
            Assert.Equal(model.Layers.Select(row => row.Parameters), layerNodes.Select(node => node.Parameters));

            // A node's parameters are its tensors' (C# layers declare a count instead).
            foreach (var node in graph.Nodes.Where(node => !node.TensorsUnknown))
                Assert.True(node.Tensors.Where(t => t.Kind == StateTensorKind.Parameter).Sum(t => t.Shape.Aggregate(1L, (a, b) => a * b)) == node.Parameters,
                    $"{model.ClassName} {node.Path}: tensors {string.Join(", ", node.Tensors)} against {node.Parameters} parameters");
        }
    }

    [Theory]
    [MemberData(nameof(ZooFiles))]
    public void Every_node_reads_earlier_values_and_its_attributes_give_its_shape(string file)
    {
        foreach (var model in Pipeline.CompileZoo(file).Models)
        {
            var graph = model.Graph!;
            var shapes = new Dictionary<int, TensorShape> { [NetworkGraph.InputValue] = graph.Input };
            foreach (var node in graph.Nodes)
            {
                var where = $"{model.ClassName} {node.Path} ({node.Operation.Kind}, value {node.Output})";
                Assert.True(node.Inputs.Count > 0, $"{where} reads nothing");
                foreach (var input in node.Inputs) Assert.True(shapes.ContainsKey(input), $"{where} reads value {input}, which no earlier node computes");
                Assert.False(shapes.ContainsKey(node.Output), $"{where} computes value {node.Output} a second time");
                var inputs = node.Inputs.Select(input => shapes[input]).ToList();
                if (Infer(node.Operation, inputs) is { } expected)
                    Assert.True(Dims(expected) == Dims(node.Shape), $"{where}: its attributes and inputs {string.Join(", ", inputs)} give {Dims(expected)}, the graph says {Dims(node.Shape)}");
                shapes[node.Output] = node.Shape;
            }
            Assert.True(shapes.ContainsKey(graph.Output), $"{model.ClassName}: the output value {graph.Output} is never computed");
            if (graph.Head is { } head)
            {
                // The head's first node is the first main-path node under its path; a clean cut's nodes read only what the head made.
                var first = graph.Nodes.Select((node, index) => (node, index)).First(pair => pair.node.Aux is null && (pair.node.Path == head.Path || pair.node.Path.StartsWith(head.Path + ".")));
                Assert.Equal(first.index, head.FirstNode);
                if (head.Clean)
                {
                    var inHead = new HashSet<int>(graph.Nodes.Skip(head.FirstNode).Select(node => node.Output)) { graph.Nodes[head.FirstNode].Inputs[0] };
                    Assert.All(graph.Nodes.Skip(head.FirstNode), node => Assert.All(node.Inputs, input => Assert.Contains(input, inHead)));
                }
            }
            Assert.Equal(Dims(graph.OutputShape), Dims(shapes[graph.Output]));
            foreach (var aux in graph.AuxOutputs) Assert.Equal(Dims(aux.Shape), Dims(shapes[aux.Value]));
        }
    }

    [Fact]
    public void The_graph_of_a_network_depends_only_on_its_file()
    {
        var first = Pipeline.CompileZoo("densenet.cnn.yaml").Models.Select(model => model.Graph).ToList();
        var second = Pipeline.CompileZoo("densenet.cnn.yaml").Models.Select(model => model.Graph).ToList();
        Assert.Equal(first, second);
        Assert.NotEqual(first[0], first[1]);
    }

    [Fact]
    public void Cnngen_graph_prints_the_documented_json()
    {
        using var stream = new MemoryStream();
        Assert.Equal(0, Commands.Graph(Pipeline.ZooPath("resnet18.cnn.yaml"), null, stream));
        using var json = JsonDocument.Parse(stream.ToArray());
        var root = json.RootElement;
        Assert.Equal(GraphJson.Format, root.GetProperty("format").GetString());
        Assert.Equal("ResNet18", root.GetProperty("class").GetString());
        var nodes = root.GetProperty("nodes").EnumerateArray().ToList();
        Assert.Equal(11_689_512, nodes.Sum(node => node.GetProperty("parameters").GetInt64()));
        Assert.Equal(11_689_512, root.GetProperty("parameters").GetInt64());

        var conv1 = nodes.Single(node => node.GetProperty("path").GetString() == "layer1.0.conv1");
        Assert.Equal("conv", conv1.GetProperty("op").GetString());
        Assert.Equal(new[] { 3, 3 }, conv1.GetProperty("attributes").GetProperty("kernel").EnumerateArray().Select(e => e.GetInt32()));
        Assert.False(conv1.GetProperty("attributes").GetProperty("bias").GetBoolean());
        Assert.Equal("layer1.0.conv1.weight", conv1.GetProperty("tensors")[0].GetProperty("key").GetString());
        Assert.Equal(new[] { 64, 64, 3, 3 }, conv1.GetProperty("tensors")[0].GetProperty("shape").EnumerateArray().Select(e => e.GetInt32()));

        // A size that follows a model argument carries its expression; the sum of a residual reads two earlier values.
        var fc = nodes.Single(node => node.GetProperty("path").GetString() == "fc");
        Assert.Equal("num_classes", fc.GetProperty("attributes").GetProperty("out").GetProperty("expr").GetString());
        Assert.Equal(1000, fc.GetProperty("attributes").GetProperty("out").GetProperty("value").GetInt32());
        var add = nodes.First(node => node.GetProperty("op").GetString() == "add");
        Assert.Equal(2, add.GetProperty("inputs").GetArrayLength());
        Assert.Equal("layer1.0", add.GetProperty("path").GetString());
        Assert.Equal(nodes[^1].GetProperty("value").GetInt32(), root.GetProperty("output").GetProperty("value").GetInt32());

        // The head is one cut, which the generated ForwardFeatures and ForwardHead follow: ResNet-18's 'fc' is its last node.
        var head = root.GetProperty("head");
        Assert.Equal("fc", head.GetProperty("path").GetString());
        Assert.True(head.GetProperty("clean").GetBoolean());
        Assert.Equal(nodes.Count - 1, head.GetProperty("first_node").GetInt32());
    }

    [Fact]
    public void Cnngen_graph_of_a_file_with_errors_gives_its_diagnostics_and_fails()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cnngen-graph-{Guid.NewGuid():N}.cnn.yaml");
        File.WriteAllText(path, "name: Net\ninput: [3, 32, 32]\nlayers:\n  conv1: conv(8, k=3)\n  fc: linear(10)\n");
        try
        {
            using var stream = new MemoryStream();
            Assert.Equal(1, Commands.Graph(path, null, stream));
            Assert.Equal(0, stream.Length);
        }
        finally
        {
            File.Delete(path);
        }
    }

    private static string Dims(TensorShape shape) => string.Join("x", shape.Dims.Select(d => d.Value)) + (shape.ChannelsLast ? " last" : "");

    /// <summary>
    /// The output shape from the operation's attributes and the input shapes alone, written here from PyTorch's
    /// documented formulas and not from the analysis' code; null for an operation it does not model.
    /// </summary>
    private static TensorShape? Infer(Operation operation, IReadOnlyList<TensorShape> inputs)
    {
        var x = inputs[0];
        long Size(int i) => x.Dims[i].Value;
        TensorShape Map(long c, long h, long w) => new(new[] { new Dim(c), new Dim(h), new Dim(w) }.ToEquatableArray(), false);
        static long Window(long size, long kernel, long stride, long padding, long dilation, bool ceil)
        {
            var span = size + 2 * padding - dilation * (kernel - 1) - 1;
            var output = (ceil ? (span + stride - 1) / stride : span / stride) + 1;
            // PyTorch: with ceil_mode the last window must start inside the input or its left padding.
            if (ceil && (output - 1) * stride >= size + padding) output--;
            return output;
        }
        switch (operation)
        {
            case Conv2dOp conv:
                Assert.Equal(conv.In.Value, Size(0));
                return Map(conv.Out.Value, Window(Size(1), conv.Kernel.H, conv.Stride.H, conv.Padding.H, conv.Dilation.H, false),
                    Window(Size(2), conv.Kernel.W, conv.Stride.W, conv.Padding.W, conv.Dilation.W, false));
            case MaxPoolOp pool:
                return Map(Size(0), Window(Size(1), pool.Kernel.H, pool.Stride.H, pool.Padding.H, 1, pool.CeilMode), Window(Size(2), pool.Kernel.W, pool.Stride.W, pool.Padding.W, 1, pool.CeilMode));
            case AvgPoolOp pool:
                return Map(Size(0), Window(Size(1), pool.Kernel.H, pool.Stride.H, pool.Padding.H, 1, pool.CeilMode), Window(Size(2), pool.Kernel.W, pool.Stride.W, pool.Padding.W, 1, pool.CeilMode));
            case AdaptiveAvgPoolOp adaptive:
                return Map(Size(0), adaptive.Size.H, adaptive.Size.W);
            case GlobalAvgPoolOp:
                return new TensorShape(new[] { new Dim(Size(0)) }.ToEquatableArray(), false);
            case FlattenOp:
                return new TensorShape(new[] { new Dim(x.Dims.Aggregate(1L, (a, d) => a * d.Value)) }.ToEquatableArray(), false);
            case LinearOp linear:
                Assert.Equal(linear.In.Value, Size(0));
                return x with { Dims = new[] { linear.Out }.Concat(x.Dims.Skip(1)).Select(d => new Dim(d.Value)).ToEquatableArray() };
            case BatchNormOp norm:
                Assert.Equal(norm.Channels.Value, Size(0));
                return x;
            case LayerNormOp norm:
                Assert.Equal(norm.Channels.Value, Size(0));
                return x;
            case PermuteOp permute:
                Assert.NotEqual(permute.ToChannelsLast, x.ChannelsLast);
                return x with { ChannelsLast = permute.ToChannelsLast };
            case UpsampleOp upsample:
                return Map(Size(0), Size(1) * upsample.Factor, Size(2) * upsample.Factor);
            case ConvTranspose2dOp transposed:
                // PyTorch's ConvTranspose2d: (H - 1) * stride - 2 * padding + dilation * (kernel - 1) + output_padding + 1.
                Assert.Equal(transposed.In.Value, Size(0));
                return Map(transposed.Out.Value,
                    (Size(1) - 1) * transposed.Stride.H - 2 * transposed.Padding.H + transposed.Dilation.H * (transposed.Kernel.H - 1) + transposed.OutputPadding.H + 1,
                    (Size(2) - 1) * transposed.Stride.W - 2 * transposed.Padding.W + transposed.Dilation.W * (transposed.Kernel.W - 1) + transposed.OutputPadding.W + 1);
            case ResizeToOp or CenterCropOp or PadToOp:
                Assert.Equal(2, inputs.Count);
                return Map(Size(0), inputs[1].Dims[1].Value, inputs[1].Dims[2].Value);
            case ConcatOp:
                Assert.All(inputs, input => Assert.Equal(x.Dims.Skip(1).Select(d => d.Value), input.Dims.Skip(1).Select(d => d.Value)));
                return Map(inputs.Sum(input => input.Dims[0].Value), Size(1), Size(2));
            case ChannelSliceOp slice:
                return Map(Size(0) / slice.Count, Size(1), Size(2));
            case AddOp:
                Assert.Equal(2, inputs.Count);
                Assert.Equal(Dims(inputs[0]), Dims(inputs[1]));
                return x;
            case MulOp:
                Assert.Equal(2, inputs.Count);
                Assert.Equal(x.Dims[0].Value, inputs[1].Dims[0].Value);
                return x;
            case ActivationOp or LeakyReluOp or DropoutOp or StochasticDepthOp or ScaleOp or ChannelShuffleOp or LocalResponseNormOp or LayerScaleOp:
                return x;
            default:
                return null;
        }
    }
}
