using CnnGen.Generator.Graph;
using Microsoft.CodeAnalysis;

namespace CnnGen.Generator.Tests;

/// <summary>
/// <c>outputs:</c> (issue 26): a network that returns several named outputs (an FPN's maps) as a typed record, or one
/// it picks; and outputs inside a nested mapping read by their path (<c>body.layer1</c>), as IntermediateLayerGetter
/// names the stages it returns.
/// </summary>
public class NetworkOutputsTests
{
    private const string Pyramid = """
        name: Pyramid
        input: [3, 32, 32]
        outputs: { fine: head.fine, coarse: coarse }
        layers:
          body:
            stem: conv(8, k=3, s=2, p=1)
            stage1: conv(16, k=3, s=2, p=1)
            stage2: conv(32, k=3, s=2, p=1)
          head:
            lateral: conv(16, k=1, from=body.stage2)
            up: upsample(to=body.stage1, bilinear=false)
            merged: add(body.stage1, up)
            fine: conv(16, k=3, p=1)
          coarse: maxpool(k=1, s=2, from=body.stage2)
        """;

    private static NetworkGraph Graph(string yaml)
    {
        var result = Pipeline.Compile(yaml);
        Assert.True(result.Problems.All(problem => problem.Severity != Diagnostics.ProblemSeverity.Error), string.Join("\n", result.Problems));
        return Assert.Single(result.Models).Graph!;
    }

    private static GraphNode At(NetworkGraph graph, string path, string kind) => graph.Nodes.Single(node => node.Path == path && node.Operation.Kind == kind);

    [Fact]
    public void A_nested_mappings_outputs_are_read_by_their_path_and_outputs_lists_what_the_network_returns()
    {
        var graph = Graph(Pyramid);
        var stage1 = At(graph, "body.stage1", "conv");
        var stage2 = At(graph, "body.stage2", "conv");
        Assert.Equal([stage2.Output], At(graph, "head.lateral", "conv").Inputs.ToArray());
        Assert.Equal(stage1.Output, graph.Nodes.Single(node => node.Operation is AddOp).Inputs[0]);
        Assert.Equal([stage2.Output], At(graph, "coarse", "maxpool").Inputs.ToArray());
        var fine = At(graph, "head.fine", "conv");
        Assert.Equal(["fine", "coarse"], graph.Outputs.Select(output => output.Name).ToArray());
        Assert.Equal([fine.Output, At(graph, "coarse", "maxpool").Output], graph.Outputs.Select(output => output.Value).ToArray());
        Assert.Equal("16x8x8", string.Join("x", graph.Outputs[0].Shape.Dims.Select(d => d.Value)));
        Assert.Equal("32x2x2", string.Join("x", graph.Outputs[1].Shape.Dims.Select(d => d.Value)));
        // The first output is the graph's Output, so readers that know one output still see a real one.
        Assert.Equal(fine.Output, graph.Output);
    }

    [Fact]
    public void One_name_picks_the_output_the_network_returns_and_makes_no_record()
    {
        var graph = Graph("""
            name: Picked
            input: [3, 16, 16]
            outputs: mid
            layers:
              mid: conv(8, k=3, p=1)
              side: conv(4, k=1)
            """);
        Assert.Empty(graph.Outputs);
        Assert.Equal(At(graph, "mid", "conv").Output, graph.Output);
        Assert.Equal("8x16x16", string.Join("x", graph.OutputShape.Dims.Select(d => d.Value)));
    }

    [Fact]
    public void The_class_returns_a_typed_record_consumer_code_reads_by_name()
    {
        // Module<Tensor, Pyramid.Outputs>: forward returns the record; its properties are the names in PascalCase,
        // its Names the YAML's, and the catalog's Create says to use CreateModule.
        var consumer = """
            using CnnGen.Runtime;
            using TorchSharp;
            using Consumer.Networks;
            namespace Consumer;
            public static class Use
            {
                public static long[] Run(torch.Tensor x)
                {
                    using var network = new Pyramid();
                    using Pyramid.Outputs outputs = network.call(x);
                    torch.Tensor fine = outputs.Fine, coarse = outputs.Coarse;
                    INetworkOutputs general = outputs;
                    System.Collections.Generic.IReadOnlyList<string> names = Pyramid.Outputs.Names;
                    System.Collections.Generic.IReadOnlyList<System.Collections.Generic.KeyValuePair<string, long[]>> shapes = Pyramid.OutputShapes;
                    return fine.shape;
                }
            }
            """;
        var compilation = GeneratorHarness.NewCompilation().AddSyntaxTrees(Microsoft.CodeAnalysis.CSharp.CSharpSyntaxTree.ParseText(consumer));
        var driver = GeneratorHarness.NewDriver([new GeneratorHarness.YamlFile("/src/pyramid.cnn.yaml", Pyramid)]);
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(10)));
        var source = output.SyntaxTrees.Single(tree => Path.GetFileName(tree.FilePath).StartsWith("Pyramid.")).ToString();
        Assert.Contains("public sealed partial class Pyramid : Module<Tensor, Pyramid.Outputs>", source);
        Assert.Contains("public sealed record Outputs(Tensor Fine, Tensor Coarse) : INetworkOutputs", source);
        var catalog = output.SyntaxTrees.Single(tree => Path.GetFileName(tree.FilePath) == "NetworkCatalog.g.cs").ToString();
        Assert.Contains("CreateModule = () => new global::Consumer.Networks.Pyramid()", catalog);
        Assert.Contains("build it with CreateModule()", catalog);
    }

    [Theory]
    [InlineData("outputs: [a, c]", "CNN0025", "no layer output is named 'c'; did you mean 'a'")]
    [InlineData("outputs: [a, input]", "CNN0025", "'input' is the network's input")]
    [InlineData("outputs: [a, a]", "CNN0003", "'a' is listed twice")]
    [InlineData("outputs: { x: a, y: a }", "CNN0003", "the same tensor as an output listed before it")]
    [InlineData("outputs: { x: a, X: b }", "CNN0003", "would both be the record's property 'X'")]
    [InlineData("outputs: { dispose: a, y: b }", "CNN0003", "a name the record already has")]
    [InlineData("outputs: { x.y: a, z: b }", "CNN0003", "cannot name a returned output")]
    [InlineData("outputs: [a, stage.inner]", "CNN0025", "no layer output is named 'stage.inner'")]
    [InlineData("outputs: [a, stage.deep]", "CNN0003", "a name of its own: 'outputs: { deep: stage.deep, ... }'")]
    [InlineData("outputs: { a: a, deep: stage.deep }", "", "")]
    [InlineData("outputs: [a, deep]", "CNN0025", "a nested mapping by its path")]
    [InlineData("outputs: []", "CNN0003", "must list the outputs the network returns")]
    [InlineData("outputs: [a, b]\nhead: b", "CNN0003", "has no single classifier head")]
    public void Mistakes_are_located_errors(string outputs, string id, string fact)
    {
        var yaml = "name: Net\ninput: [3, 8, 8]\n" + outputs + "\nlayers:\n  a: conv(8, k=1)\n  b: conv(4, k=1)\n  stage:\n    deep: conv(4, k=1)\n";
        var problems = Pipeline.Compile(yaml).Problems.Where(problem => problem.Severity == Diagnostics.ProblemSeverity.Error).ToList();
        if (id.Length == 0)
        {
            Assert.Empty(problems);
            return;
        }
        var problem = Assert.Single(problems);
        Assert.Equal(id, problem.Id);
        Assert.True(problem.Message.Contains(fact), problem.Message);
        // Located: on the line of 'outputs' (or 'head'), not at the file's start.
        Assert.Equal(outputs.Contains("head") && fact.Contains("head") ? 3 : 2, problem.Span.StartLine);
    }

    [Fact]
    public void An_output_inside_a_block_is_not_visible_outside_it()
    {
        var yaml = "name: Net\ninput: [3, 8, 8]\nblocks:\n  unit(c):\n    inner: conv(c, k=1)\nlayers:\n  a: unit(4)\n  b: conv(4, k=1, from=a.inner)\n";
        var problem = Assert.Single(Pipeline.Compile(yaml).Problems, problem => problem.Severity == Diagnostics.ProblemSeverity.Error);
        Assert.Equal("CNN0025", problem.Id);
        Assert.Contains("'a.inner' is not an output here", problem.Message);
    }

    private const string Segmenter = """
        name: Segmenter
        input: [3, 32, 32]
        layers:
          backbone:
            layer1: conv(8, k=3, p=1)
            layer2: conv(16, k=3, p=1)
          classifier: conv(2, k=1)
        aux:
          aux_classifier:
            at: backbone.layer1
            in_eval: IN_EVAL
            layers: [conv(2, k=1)]
        """;

    [Theory]
    [InlineData("true", "Run(input, withAux: true)", true)]
    [InlineData("false", "Run(input, withAux: training)", false)]
    public void An_aux_head_in_eval_makes_ForwardWithAux_return_it_in_eval_mode_too(string inEval, string call, bool expected)
    {
        // torchvision's segmentation models with aux_loss=True return {"out", "aux"} in eval; GoogLeNet's heads run in training only.
        var result = Pipeline.Compile(Segmenter.Replace("IN_EVAL", inEval));
        Assert.False(result.HasErrors, string.Join("\n", result.Problems));
        var network = Assert.Single(result.Networks);
        Assert.Contains($"public Outputs ForwardWithAux(Tensor input) => {call};", network.Source);
        Assert.Equal(expected, Assert.Single(result.Model!.Graph!.AuxOutputs).InEval);
        var python = CnnGen.Tool.PyTorch.PyTorchExport.Write([result.Model!.Graph!], "segmenter.cnn.yaml").Text!;
        Assert.Contains($"return self._forward(x, with_aux={(expected ? "True" : "self.training")})", python);
    }

    [Theory]
    [InlineData("maybe", "", "must be true or false")]
    [InlineData("true", "  second:\n    at: backbone.layer2\n    in_eval: false\n    layers: [conv(2, k=1)]\n", "run in eval mode all or none")]
    public void In_eval_mistakes_are_located(string setting, string secondHead, string fact)
    {
        var problems = Pipeline.Compile(Segmenter.Replace("IN_EVAL", setting) + "\n" + secondHead).Problems.Where(problem => problem.Severity == Diagnostics.ProblemSeverity.Error).ToList();
        var problem = Assert.Single(problems);
        Assert.Equal("CNN0003", problem.Id);
        Assert.True(problem.Message.Contains(fact), problem.Message);
        Assert.True(problem.Span.StartLine >= 10, problem.Span.ToString());
    }
}
