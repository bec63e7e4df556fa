using CnnGen.Architectures;
using CnnGen.Runtime;
using TorchSharp;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// The graph every generated class carries (<c>Graph</c>, <c>GetGraph()</c>), read back at run time: its operations'
/// attributes must describe the module's actual tensors, for the defaults and for an instance built with other
/// arguments, since exporters build their weights and shapes from it.
/// </summary>
public class GraphTests
{
    [Theory]
    [MemberData(nameof(Zoo.Names), MemberType = typeof(Zoo))]
    public void The_graph_describes_the_modules_tensors(string name)
    {
        var info = Zoo.Get(name);
        using var model = info.CreateModule();
        AssertDescribes(((IGeneratedNetwork)model).GetGraph(), model);
        var graph = ((IGeneratedNetwork)model).GetGraph();
        Assert.Equal(info.ParameterCount, graph.Parameters);
        Assert.Equal(info.OutputShape, graph.OutputShape);
        Assert.Equal(info.InputShape, graph.Input);
    }

    [Theory]
    [MemberData(nameof(Zoo.Names), MemberType = typeof(Zoo))]
    public void An_instance_with_ten_classes_has_a_graph_with_ten_classes(string name)
    {
        var info = Zoo.Get(name);
        if (!info.Type.GetConstructors().Single().GetParameters().Any(p => p.Name == "numClasses")) return;
        using var model = Zoo.Create(info, "numClasses", 10);
        var graph = ((IGeneratedNetwork)model).GetGraph();
        // A classifier's output is [10]; a segmentation network's (FcnResNet18, UNet, UNetPadded) a 10-channel map.
        Assert.Equal(10, graph.OutputShape[0]);
        Assert.Equal(graph.OutputShape, graph.Nodes.Single(node => node.Output == graph.Output).Shape);
        AssertDescribes(graph, model);
    }

    [Fact]
    public void DenseNet_widths_follow_the_instances_growth_rate()
    {
        using var model = new DenseNet121(numClasses: 10, growthRate: 16, numInitFeatures: 32);
        var graph = model.GetGraph();
        Assert.Equal(32 + 5 * 16, graph.Nodes.Single(node => node.Path == "features.denseblock1.denselayer6.norm1").Long("channels"));
        Assert.Equal(64, DenseNet121.Graph.Nodes.Single(node => node.Path == "features.conv0").Long("out"));
        Assert.Equal(32, graph.Nodes.Single(node => node.Path == "features.conv0").Long("out"));
        AssertDescribes(graph, model);
    }

    /// <summary>Every node's tensors, as its attributes imply them, are the module's; every state-dict entry belongs to a node.</summary>
    private static void AssertDescribes(NetworkGraph graph, torch.nn.Module model)
    {
        var state = model.state_dict().ToDictionary(pair => pair.Key, pair => pair.Value.shape);
        var covered = new HashSet<string>();
        void Expect(GraphNode node, string key, params long[] shape)
        {
            Assert.True(state.TryGetValue(key, out var actual), $"{graph.ClassName}: {node.Describe()} implies '{key}', which the module lacks");
            Assert.True(shape.SequenceEqual(actual!), $"{graph.ClassName}: {node.Describe()} implies {key} [{string.Join(", ", shape)}], the module has [{string.Join(", ", actual!)}]");
            covered.Add(key);
        }
        foreach (var node in graph.Nodes)
        {
            switch (node.Op)
            {
                case "conv":
                    var (kh, kw) = node.Pair("kernel");
                    Expect(node, node.Key("weight"), node.Long("out"), node.Long("in") / node.Long("groups"), kh, kw);
                    if (node.Bool("bias")) Expect(node, node.Key("bias"), node.Long("out"));
                    Assert.Equal(node.Long("out"), node.Shape[0]);
                    break;
                case "linear":
                    Expect(node, node.Key("weight"), node.Long("out"), node.Long("in"));
                    if (node.Bool("bias")) Expect(node, node.Key("bias"), node.Long("out"));
                    break;
                case "bn":
                    var channels = node.Long("channels");
                    if (node.Bool("affine")) { Expect(node, node.Key("weight"), channels); Expect(node, node.Key("bias"), channels); }
                    Expect(node, node.Key("running_mean"), channels);
                    Expect(node, node.Key("running_var"), channels);
                    Expect(node, node.Key("num_batches_tracked"));
                    break;
                case "layer_norm":
                    if (node.Bool("affine")) { Expect(node, node.Key("weight"), node.Long("channels")); Expect(node, node.Key("bias"), node.Long("channels")); }
                    break;
                default:
                    // Other layers' tensors (layer scale, LeNet-5's subsampling and table, C# layers) sit under the node's path.
                    if (node.HasModule) covered.UnionWith(state.Keys.Where(key => key == node.Path || key.StartsWith(node.Path + ".", StringComparison.Ordinal)));
                    break;
            }
        }
        Assert.Empty(state.Keys.Except(covered).Order(StringComparer.Ordinal));
    }
}
