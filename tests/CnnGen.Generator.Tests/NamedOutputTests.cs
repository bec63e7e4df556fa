using CnnGen.Generator.Graph;
using CnnGen.Generator.Layers;

namespace CnnGen.Generator.Tests;

/// <summary>
/// Entries that read earlier outputs by name (issue 26): <c>from=</c>, joins of named outputs, layers sized by another
/// output, blocks given outputs as arguments. What each test checks is the graph: which values a node reads.
/// </summary>
public class NamedOutputTests
{
    private static NetworkGraph Graph(string yaml)
    {
        var result = Pipeline.Compile(yaml);
        Assert.True(result.Problems.All(problem => problem.Severity != Diagnostics.ProblemSeverity.Error), string.Join("\n", result.Problems));
        return Assert.Single(result.Models).Graph!;
    }

    private static GraphNode At(NetworkGraph graph, string path, string kind) => graph.Nodes.Single(node => node.Path == path && node.Operation.Kind == kind);

    private static string Dims(GraphNode node) => string.Join("x", node.Shape.Dims.Select(d => d.Value));

    [Fact]
    public void From_reads_a_named_output_and_a_join_reads_several()
    {
        var graph = Graph("""
            name: Net
            input: [3, 32, 32]
            layers:
              stem: conv(8, k=3, p=1)
              left: conv(4, k=1)
              right: conv(6, k=1, from=stem)
              both: concat(left, right, stem)
              sum: add(stem, input)
            """.Replace("add(stem, input)", "conv(3, k=1)"));
        var stem = At(graph, "stem", "conv");
        var left = At(graph, "left", "conv");
        var right = At(graph, "right", "conv");
        Assert.Equal([stem.Output], right.Inputs.ToArray());
        var concat = graph.Nodes.Single(node => node.Operation is ConcatOp);
        Assert.Equal([left.Output, right.Output, stem.Output], concat.Inputs.ToArray());
        Assert.Equal("18x32x32", Dims(concat));
        // The entry after a join reads the join, as after any entry.
        Assert.Equal([concat.Output], At(graph, "sum", "conv").Inputs.ToArray());
    }

    [Fact]
    public void Add_and_mul_read_named_outputs_and_input_names_the_network_input()
    {
        var graph = Graph("""
            name: Net
            input: [8, 16, 16]
            layers:
              a: conv(8, k=3, p=1)
              b: add(a, input)
              pooled: adaptive_avgpool(1, from=b)
              scale: sigmoid
              gated: mul(b, scale)
            """);
        var add = graph.Nodes.Single(node => node.Operation is AddOp);
        Assert.Equal([At(graph, "a", "conv").Output, NetworkGraph.InputValue], add.Inputs.ToArray());
        var mul = graph.Nodes.Single(node => node.Operation is MulOp);
        Assert.Equal(add.Output, mul.Inputs[0]);
        Assert.Equal("8x16x16", Dims(mul));
        Assert.Equal(graph.Output, mul.Output);
    }

    [Fact]
    public void A_block_takes_outputs_as_arguments_and_upsample_and_crop_take_their_size_from_one()
    {
        var graph = Graph("""
            name: Net
            input: [3, 64, 64]
            blocks:
              up(c, skip):
                up: convtranspose(c, k=2, s=2)
                crop: crop(to=up, from=skip)
                cat: concat(crop, up)
                fuse: conv(c, k=3)
            layers:
              enc: conv(16, k=3)
              pool: maxpool(2)
              mid: conv(32, k=3)
              dec: up(16, skip=enc)
              head: upsample(to=input, bilinear=true, align_corners=true)
            """);
        var enc = At(graph, "enc", "conv");
        Assert.Equal("16x62x62", Dims(enc));
        var up = At(graph, "dec.up", "conv_transpose");
        Assert.Equal("16x58x58", Dims(up));
        Assert.Equal([32L, 16, 2, 2], up.Tensors[0].Shape.ToArray()); // PyTorch: [in, out / groups, kh, kw]
        Assert.Equal(16 * 32 * 4 + 16, up.Parameters);
        var crop = At(graph, "dec.crop", "center_crop");
        Assert.Equal([enc.Output, up.Output], crop.Inputs.ToArray());
        Assert.Equal("16x58x58", Dims(crop));
        var resize = graph.Nodes.Single(node => node.Operation is ResizeToOp);
        Assert.Equal(NetworkGraph.InputValue, resize.Inputs[1]);
        Assert.Equal(new ResizeToOp("bilinear", true), resize.Operation);
        Assert.Equal("16x64x64", Dims(resize));
    }

    [Fact]
    public void A_key_never_hides_a_model_argument_of_the_same_name()
    {
        // 'dropout' is a model argument and, after its entry, an output: numbers are looked up first, outputs where one is expected.
        var graph = Graph("""
            name: Net
            input: [3, 8, 8]
            args: { dropout: 0.2 }
            layers:
              pool: gap
              dropout: dropout(dropout)
              fc: linear(10)
              again: dropout(dropout, from=dropout)
            """);
        Assert.Equal(2, graph.Nodes.Count(node => node.Operation is DropoutOp { } op));
        Assert.Equal(At(graph, "dropout", "dropout").Output, At(graph, "again", "dropout").Inputs[0]);
    }

    [Theory]
    [InlineData("  a: conv(8, k=1)\n  b: concat(a, 3)\n", "CNN0025", "concat(): must name an earlier output")]
    [InlineData("  a: conv(8, k=1)\n  b: conv(8, k=1, from=width)\n", "CNN0025", "from=: 'width' is an integer (4), not an output")]
    [InlineData("  a: conv(8, k=1)\n  b: mul(a)\n", "CNN0003", "multiplies exactly two outputs")]
    [InlineData("  a: conv(8, k=1)\n  b: 2x concat(a, a)\n", "CNN0003", "cannot repeat")]
    [InlineData("  a: conv(8, k=1)\n  b: conv(4, k=1, from=a)\n  c: add(a, b)\n", "CNN0026", "a (8x8x8), b (4x8x8)")]
    [InlineData("  a: conv(8, k=1)\n  b: conv(8, k=3)\n  c: crop(to=a)\n", "CNN0018", "a map at least 8x8")]
    [InlineData("  a: conv(8, k=3)\n  b: upsample(2)\n  c: pad(to=a)\n", "CNN0018", "a map at most 6x6, the size of 'a' it is padded to")]
    [InlineData("  a: conv(8, k=1)\n  b: upsample(2, to=a)\n", "CNN0007", "and 'to' both set the size")]
    [InlineData("  a: conv(8, k=1)\n  b: upsample(bilinear=false, align_corners=true)\n", "CNN0007", "bilinear upsampling only")]
    [InlineData("  a: unit(4)\n", "CNN0025", "a block sees its own keys")]
    [InlineData("  a: conv(8, k=1, output=b)\n", "CNN0025", "this entry's key 'a' already names its output")]
    [InlineData("  a:\n    - conv(8, k=1, output=input)\n", "CNN0025", "'input' is the network's or block's input")]
    [InlineData("  a:\n    - conv(8, k=1, output=low)\n    - conv(8, k=1, output=low)\n", "CNN0025", "'low' already names an earlier output")]
    [InlineData("  a:\n    - conv(8, k=1, output=b)\n  b: conv(8, k=1)\n", "CNN0025", "'b' already names a later entry's output (its key)")]
    [InlineData("  a:\n    - conv(8, k=1, output=2)\n", "CNN0025", "output=: takes the name the output gets")]
    [InlineData("  a:\n    - conv(8, k=1, from=low)\n    - conv(8, k=1, output=low)\n", "CNN0025", "'low' is not an output here")]
    public void Mistakes_are_located_errors(string layers, string id, string fact)
    {
        var yaml = "name: Net\ninput: [3, 8, 8]\nargs: { width: 4 }\nblocks:\n  unit(c):\n    x: conv(c, k=1, from=a)\nlayers:\n" + layers;
        if (!layers.Contains("unit(")) yaml = yaml.Replace("blocks:\n  unit(c):\n    x: conv(c, k=1, from=a)\n", "");
        var problems = Pipeline.Compile(yaml).Problems.Where(problem => problem.Severity == Diagnostics.ProblemSeverity.Error).ToList();
        var problem = Assert.Single(problems);
        Assert.Equal(id, problem.Id);
        Assert.True(problem.Message.Contains(fact), problem.Message);
    }

    [Fact]
    public void Output_names_a_list_items_output_while_its_module_keeps_its_index()
    {
        // torchvision's LR-ASPP taps backbone.4 as "low"; Ultralytics' neck reads model.6 by index. The item's module
        // stays backbone.N; output= names what it returns (after all repetitions) for the entries after it.
        var graph = Graph("""
            name: Net
            input: [3, 32, 32]
            layers:
              backbone:
                - conv(8, k=3, s=2, p=1)
                - 2x conv(16, k=3, p=1, output=low)
                - conv(32, k=3, s=2, p=1)
                - concat(low, low, output=both)
              high: conv(16, k=1, from=low)
              out: concat(high, both)
            """);
        var low = At(graph, "backbone.2", "conv");
        Assert.Equal("16x16x16", Dims(low));
        var concat = graph.Nodes.First(node => node.Operation is ConcatOp);
        Assert.Equal([low.Output, low.Output], concat.Inputs.ToArray());
        Assert.Equal([low.Output], At(graph, "high", "conv").Inputs.ToArray());
        Assert.Equal("48x16x16", Dims(graph.Nodes.Last(node => node.Operation is ConcatOp)));
        // The names reach the graph (graph JSON's "name"), and the PyTorch export names its variables by them.
        Assert.Equal("low", low.Name);
        Assert.Equal("backbone", concat.Name); // named 'both', then 'backbone' by the key whose list it ends: the outermost wins
        Assert.Null(At(graph, "backbone.0", "conv").Name);
        var python = CnnGen.Tool.PyTorch.PyTorchExport.Write([graph], "net.cnn.yaml").Text!;
        Assert.Contains("low = self.backbone[2](", python);
        Assert.Equal(["backbone.0", "backbone.1", "backbone.2", "backbone.3", "high"],
            graph.Nodes.Where(node => node.Operation.Kind == "conv").Select(node => node.Path).ToArray());
    }

    [Fact]
    public void A_list_branch_of_a_concat_is_an_indexed_group_as_torchvisions_ASPP_convs()
    {
        var result = Pipeline.Compile("""
            name: Net
            input: [8, 16, 16]
            layers:
              convs:
                concat:
                  - [conv(4, k=1, bias=false), bn, relu]
                  - [adaptive_avgpool(1), conv(4, k=1, bias=false), bn, relu, upsample(to=input)]
            """);
        Assert.False(result.HasErrors, string.Join("\n", result.Problems));
        var keys = result.Model!.StateDict.Tensors.Where(tensor => tensor.Kind == StateTensorKind.Parameter).Select(tensor => tensor.Name);
        Assert.Equal(["convs.0.0.weight", "convs.0.1.weight", "convs.0.1.bias", "convs.1.1.weight", "convs.1.2.weight", "convs.1.2.bias"], keys);
        var concat = result.Model.Graph!.Nodes.Single(node => node.Operation is ConcatOp);
        Assert.Equal("8x16x16", Dims(concat));
    }

    [Fact]
    public void An_aux_head_taps_a_nested_layer_by_its_path_reads_the_input_and_is_registered_last()
    {
        var result = Pipeline.Compile("""
            name: Net
            input: [3, 32, 32]
            layers:
              backbone:
                stem: conv(8, k=3, s=2, p=1)
                layer3: conv(16, k=3, s=2, p=1)
                layer4: conv(32, k=3, p=1)
              classifier: conv(2, k=1)
              out: upsample(to=input)
            aux:
              aux_classifier:
                at: backbone.layer3
                layers: [conv(2, k=1), upsample(to=input)]
            """);
        Assert.False(result.HasErrors, string.Join("\n", result.Problems));
        var model = result.Model!;
        // torchvision's segmentation models: backbone, classifier, then aux_classifier.
        Assert.Equal(["backbone", "classifier", "aux_classifier"], model.Root.Children.Select(child => child.Name)); // "out" has no state, no module
        var graph = model.Graph!;
        var aux = Assert.Single(graph.AuxOutputs);
        Assert.Equal("backbone.layer3", aux.TappedAt);
        Assert.Equal("2x32x32", string.Join("x", aux.Shape.Dims.Select(d => d.Value)));
        var auxResize = graph.Nodes.Single(node => node.Aux == "aux_classifier" && node.Operation is ResizeToOp);
        Assert.Equal(NetworkGraph.InputValue, auxResize.Inputs[1]);
        Assert.Equal(At(graph, "backbone.layer3", "conv").Output, graph.Nodes.First(node => node.Aux == "aux_classifier").Inputs[0]);
    }

    [Fact]
    public void An_aux_head_at_a_path_nothing_has_gets_the_nearest_path()
    {
        var yaml = "name: Net\ninput: [3, 8, 8]\nlayers:\n  backbone:\n    layer3: conv(4, k=1)\naux:\n  head:\n    at: backbone.layr3\n    layers: [conv(2, k=1)]\n";
        var problem = Assert.Single(Pipeline.Compile(yaml).Problems, problem => problem.Severity == Diagnostics.ProblemSeverity.Error);
        Assert.Equal("CNN0004", problem.Id);
        Assert.Contains("did you mean 'backbone.layer3'?", problem.Message);
    }
}
