using CnnGen.Runtime;

namespace CnnGen.Runtime.Tests;

/// <summary>The graph text generated classes carry (generator/Emit/GraphTextEmitter.cs), read by <see cref="NetworkGraph.Parse"/>.</summary>
public class GraphTextTests
{
    private const string Tiny = @"Tiny
        input|3x32x32
        1|conv|0|16$0x32x32|m|conv1||432|442368|conv1|conv|3x3|in=3;out=16$0;kernel=3,3;stride=1,1;padding=1,1;dilation=1,1;groups=1;bias=false

        2|activation|1|16$0x32x32||relu||0|0|relu|relu||function=relu
        3|add|2,1|16$0x32x32||block||0|0||||scale=1
        4|dropout|3|16$0x32x32||drop||0|0|drop|dropout|p=0.2|p=0.2$1
        5|table_conv|4|2x28x28|m|c3||0|0|c3|table_conv||in=16;out=2;table=[[0,1],[1,2]];kernel=5,5;stride=1,1;padding=0,0;bias=true
        6|custom|5|2x28x28|mt|a%7Cb||0|0|a%7Cb|custom||type_name=My.Layer;name=my%3Dlayer;arguments=[{name=k;value=3;expr=}]
        output|6|2x28x28
        head|conv1|0|1
        totals|432|442368";

    [Fact]
    public void Nodes_read_back_with_their_attributes_rows_and_totals()
    {
        var graph = NetworkGraph.Parse(Tiny, null);
        Assert.Equal("Tiny", graph.ClassName);
        Assert.Equal([3L, 32, 32], graph.Input);
        Assert.Equal(6, graph.Nodes.Count);
        var conv = graph.Nodes[0];
        Assert.Equal("conv", conv.Op);
        Assert.Equal(16, conv.Long("out"));
        Assert.Equal((3L, 3L), conv.Pair("kernel"));
        Assert.False(conv.Bool("bias"));
        Assert.True(conv.HasModule);
        Assert.Equal("conv1.weight", conv.Key("weight"));
        Assert.Equal([2, 1], graph.Nodes[2].Inputs);
        Assert.Null(graph.Nodes[2].Row);
        Assert.Equal(1.0, graph.Nodes[2].Double("scale"));
        Assert.Equal([[0L, 1], [1L, 2]], graph.Nodes[4].Attribute("table").Items.Select(row => row.Items.Select(item => item.AsLong()).ToArray()).ToArray());
        Assert.Equal("a|b", graph.Nodes[5].Path);
        Assert.True(graph.Nodes[5].TensorsUnknown);
        Assert.Equal("my=layer", graph.Nodes[5].Text("name"));
        Assert.Equal("3", graph.Nodes[5].Attribute("arguments").Items[0].Fields["value"].Text);
        Assert.Equal(["conv1", "relu", "drop", "c3", "a|b"], graph.LayerTable.Select(row => row.Path));
        Assert.Equal("p=0.2", graph.LayerTable[2].Detail);
        Assert.Equal(new GraphHeadInfo("conv1", 0, true), graph.Head);
        Assert.Equal((432L, 442368L), (graph.Parameters, graph.Macs));
        Assert.Equal([6], graph.MainPath().Select(node => node.Output).TakeLast(1));
    }

    [Fact]
    public void Slots_take_the_instances_sizes_and_keep_the_defaults_without_them()
    {
        Assert.Equal(16, NetworkGraph.Parse(Tiny, null).Nodes[0].Long("out"));
        Assert.Equal(0.2, NetworkGraph.Parse(Tiny, null).Nodes[3].Double("p"));
        var sized = NetworkGraph.Parse(Tiny, [24, 0.5]);
        Assert.Equal(24, sized.Nodes[0].Long("out"));
        Assert.Equal([24L, 32, 32], sized.Nodes[2].Shape);
        Assert.Equal(0.5, sized.Nodes[3].Double("p"));
    }

    [Theory]
    [InlineData("1|conv|0|16x32x32|m|conv1||432|442368|conv1|conv|3x3", "13 fields, not 12")]
    [InlineData("1|conv|0|16xAx32|m|conv1||432|442368|conv1|conv|3x3|in=3", "line 3")]
    [InlineData("1|conv|0|16$4x32x32|m|conv1||432|442368|conv1|conv|3x3|in=3", "slot 4 is missing")]
    public void A_malformed_line_says_which_line_and_what_is_wrong(string line, string expected)
    {
        var error = Assert.Throws<FormatException>(() => NetworkGraph.Parse("Bad\ninput|3x32x32\n" + line + "\noutput|1|16x32x32", [1.0]));
        Assert.Contains("Bad", error.Message);
        Assert.Contains(expected, error.Message);
    }

    [Fact]
    public void An_unknown_attribute_names_the_node()
    {
        var error = Assert.Throws<KeyNotFoundException>(() => NetworkGraph.Parse(Tiny, null).Nodes[0].Long("groups_x"));
        Assert.Contains("'conv' node 1 at conv1", error.Message);
    }
}
