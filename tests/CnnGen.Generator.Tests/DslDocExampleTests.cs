using System.Runtime.CompilerServices;

namespace CnnGen.Generator.Tests;

/// <summary>The example of docs/dsl.md's "Lists, blocks and joins" compiles, and its names and sizes are the ones the page states.</summary>
public class DslDocExampleTests
{
    private static string DslPage([CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", "..", "docs", "dsl.md"));

    /// <summary>The page's YAML block that starts with <c>name: ListsAndBlocks</c> (or another name).</summary>
    private static string Example(string name = "ListsAndBlocks")
    {
        var text = File.ReadAllText(DslPage());
        var start = text.IndexOf("```yaml\nname: " + name, StringComparison.Ordinal);
        Assert.True(start >= 0, $"docs/dsl.md lost its {name} example");
        start += "```yaml\n".Length;
        return text[start..text.IndexOf("```", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void The_lists_blocks_and_joins_example_gives_the_names_the_page_states()
    {
        var result = Pipeline.Compile(Example());
        Assert.False(result.HasErrors, string.Join("\n", result.Problems));
        var model = result.Model!;
        var keys = model.StateDict.Tensors.Where(tensor => tensor.Kind == Layers.StateTensorKind.Parameter).Select(tensor => tensor.Name).ToList();
        Assert.Equal(
            [
                "features.0.0.weight", "features.0.0.bias",                     // a list inside a list
                "features.1.weight",                                            // the spliced block: conv, bn, relu at .1-.3
                "features.2.weight", "features.2.bias",
                "features.4.conv.weight", "features.4.conv.bias",               // 2x unit at the next indices
                "features.5.conv.weight", "features.5.conv.bias",
                "mixed.b1.weight", "mixed.b1.bias", "mixed.b2.weight", "mixed.b2.bias",
                "mixed.bn.weight", "mixed.bn.bias",
                "fc.weight", "fc.bias",
            ],
            keys);
        Assert.Contains(model.StateDict.Tensors, tensor => tensor.Name == "mixed.bn.running_var");
        // The norm after the concat sees both branches' channels.
        Assert.Equal("16x32x32", string.Join("x", model.Layers.Single(row => row.Path == "mixed.bn").Output.Concrete));
        Assert.Equal("relu", model.Layers.Single(row => row.Path == "features.3").Type);
    }

    [Fact]
    public void The_dense_prediction_example_reads_the_outputs_the_page_names()
    {
        var result = Pipeline.Compile(Example("SmallUNet"));
        Assert.False(result.HasErrors, string.Join("\n", result.Problems));
        var graph = result.Model!.Graph!;
        Graph.GraphNode Node(string path) => graph.Nodes.Single(node => node.Path == path && node.Operation.Kind != "add");
        string Dims(Graph.GraphNode node) => string.Join("x", node.Shape.Dims.Select(d => d.Value));
        Assert.Equal("16x64x64", Dims(Node("dec.conv")));
        var concat = graph.Nodes.Single(node => node.Operation is Graph.ConcatOp);
        Assert.Equal([Node("enc1").Output, Node("dec.up").Output], concat.Inputs.ToArray());
        Assert.Equal("32x64x64", Dims(concat));
        Assert.Equal([Node("enc2").Output], Node("side").Inputs.ToArray());
        Assert.Equal("2x32x32", Dims(Node("side")));
        Assert.Equal("2x64x64", Dims(Node("side_up")));
        var add = graph.Nodes.Single(node => node.Operation is Graph.AddOp);
        Assert.Equal([Node("logits").Output, Node("side_up").Output], add.Inputs.ToArray());
        Assert.Equal(graph.Output, add.Output);
    }

    [Fact]
    public void The_output_example_taps_a_list_item_that_keeps_its_index()
    {
        var result = Pipeline.Compile(Example("TwoTaps"));
        Assert.False(result.HasErrors, string.Join("\n", result.Problems));
        var graph = result.Model!.Graph!;
        Graph.GraphNode Node(string path) => graph.Nodes.Single(node => node.Path == path && node.Operation.Kind != "add");
        string Dims(Graph.GraphNode node) => string.Join("x", node.Shape.Dims.Select(d => d.Value));
        Assert.Equal("32x16x16", Dims(Node("backbone.1")));
        Assert.Equal([Node("backbone.2").Output], Node("high").Inputs.ToArray());
        Assert.Equal("3x16x16", Dims(Node("resized")));
        Assert.Equal([Node("backbone.1").Output], Node("low_classifier").Inputs.ToArray());
        var add = graph.Nodes.Single(node => node.Operation is Graph.AddOp);
        Assert.Equal([Node("low_classifier").Output, Node("resized").Output], add.Inputs.ToArray());
        Assert.Equal("3x16x16", Dims(add));
        Assert.Equal(graph.Output, add.Output);
    }

    [Fact]
    public void The_several_outputs_example_reads_nested_outputs_by_path_and_returns_two()
    {
        var result = Pipeline.Compile(Example("SmallPyramid"));
        Assert.False(result.HasErrors, string.Join("\n", result.Problems));
        var graph = result.Model!.Graph!;
        Graph.GraphNode Node(string path) => graph.Nodes.Single(node => node.Path == path);
        string Dims(int value) => string.Join("x", graph.Nodes.Single(node => node.Output == value).Shape.Dims.Select(d => d.Value));
        Assert.Equal([Node("body.stage2").Output], Node("fpn.lateral").Inputs.ToArray());
        Assert.Equal("32x16x16", Dims(Node("fpn.up").Output));
        Assert.Equal(["fine", "coarse"], graph.Outputs.Select(output => output.Name).ToArray());
        Assert.Equal([Node("fpn.fine").Output, Node("coarse").Output], graph.Outputs.Select(output => output.Value).ToArray());
        Assert.Equal(["32x16x16", "64x4x4"], graph.Outputs.Select(output => Dims(output.Value)).ToArray());
    }
}
