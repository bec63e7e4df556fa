using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Model;
using CnnGen.Generator.Analysis;

namespace CnnGen.Generator.Tests;

/// <summary>One test per diagnostic ID: a small bad file, the exact ID, line and column, and the message's key facts.</summary>
public class DiagnosticTests
{
    private const string Header = "name: Net\ninput: [3, 32, 32]\n";

    private static Problem Single(CompileResult result, string id, int line, int column, params string[] facts)
    {
        var matching = result.Problems.Where(p => p.Id == id).ToList();
        Assert.True(matching.Count == 1, $"expected one {id}, got:\n{string.Join("\n", result.Problems)}");
        var problem = matching[0];
        Assert.Equal((line, column), (problem.Span.StartLine + 1, problem.Span.StartColumn + 1));
        foreach (var fact in facts) Assert.Contains(fact, problem.Message);
        return problem;
    }

    [Fact]
    public void CNN0001_yaml_syntax_error_at_its_position()
    {
        var result = Pipeline.Compile(Header + "layers:\n  conv1: conv(8, k=3\n  bad: [unclosed\n");
        Single(result, "CNN0001", 6, 1, "YAML syntax error");
        Assert.Null(result.Source);
    }

    [Fact]
    public void CNN0002_missing_required_key()
    {
        var result = Pipeline.Compile("name: Net\nlayers:\n  fc: flatten\n");
        Single(result, "CNN0002", 1, 1, "'input'", "[3, 224, 224]");
    }

    [Fact]
    public void CNN0003_invalid_input_shape()
    {
        var result = Pipeline.Compile("name: Net\ninput: [3, 0, 32]\nlayers:\n  f: flatten\n");
        Single(result, "CNN0003", 2, 12, "input", "'0' must be a positive integer");
    }

    [Fact]
    public void CNN0003_class_name_must_be_a_csharp_identifier()
    {
        var result = Pipeline.Compile("name: 3net\ninput: [3, 8, 8]\nlayers:\n  f: flatten\n");
        Single(result, "CNN0003", 1, 7, "'3net' is not a valid C# class name");
    }

    [Theory]
    [InlineData("Forward")]
    [InlineData("Inference")]
    [InlineData("DenseConcat")]
    public void CNN0003_class_name_must_not_hide_a_runtime_type(string name)
    {
        // Inside a class called Forward, the generated 'Forward.Conv2d(...)' would mean the class itself.
        var result = Pipeline.Compile($"name: {name}\ninput: [3, 8, 8]\nlayers:\n  f: flatten\n");
        Single(result, "CNN0003", 1, 7, $"'{name}' is a CnnGen.Runtime type");
    }

    [Theory]
    [InlineData("forward")]
    [InlineData("dense_concat")]
    public void A_child_named_like_a_runtime_type_gets_no_property_that_would_hide_it(string child)
    {
        var yaml = $"name: Net\ninput: [3, 8, 8]\nlayers:\n  {child}: conv(4, k=3)\n  f: flatten\n";
        Assert.DoesNotContain($" {Identifiers.Pascal(child)} =>", Pipeline.Compile(yaml).Source);
        var driver = GeneratorHarness.NewDriver(new[] { new GeneratorHarness.YamlFile("/src/net.cnn.yaml", yaml) });
        driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.NewCompilation(), out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        Assert.Empty(output.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error));
    }

    [Fact]
    public void CNN0004_unknown_layer_with_did_you_mean()
    {
        var result = Pipeline.Compile(Header + "layers:\n  conv1: conv(8, k=3)\n  pool: maxpol(k=2)\n");
        Single(result, "CNN0004", 5, 9, "'maxpol'", "did you mean 'maxpool'?");
    }

    [Fact]
    public void CNN0005_missing_argument()
    {
        var result = Pipeline.Compile(Header + "layers:\n  conv1: conv(8)\n");
        Single(result, "CNN0005", 4, 10, "'conv' needs the argument 'kernel'");
    }

    [Fact]
    public void CNN0006_unknown_argument_points_at_the_argument_name()
    {
        var result = Pipeline.Compile(Header + "layers:\n  conv1: conv(8, k=3, strid=2)\n");
        Single(result, "CNN0006", 4, 23, "'conv' has no argument 'strid'", "did you mean 'stride'?");
    }

    [Fact]
    public void CNN0007_argument_of_the_wrong_type_points_at_the_value()
    {
        var result = Pipeline.Compile(Header + "layers:\n  conv1: conv(8, k=3, bias=2)\n");
        Single(result, "CNN0007", 4, 28, "argument 'bias' of 'conv'", "true or false");
    }

    [Fact]
    public void CNN0008_groups_must_divide_the_input_channels()
    {
        var result = Pipeline.Compile("name: Net\ninput: [250, 8, 8]\nlayers:\n  conv1: conv(256, k=3, groups=32)\n");
        Single(result, "CNN0008", 4, 32, "'conv1' (conv) receives 250x8x8", "groups=32 does not divide 250 input channels");
    }

    [Fact]
    public void CNN0009_spatial_size_falls_to_zero()
    {
        // 32 -> 15 -> 7 -> 3 -> 1 -> 0 with 3x3 stride-2 convolutions.
        var result = Pipeline.Compile(Header + "layers:\n  conv1: conv(8, k=3, s=2)\n  conv2: conv(8, k=3, s=2)\n  conv3: conv(8, k=3, s=2)\n  conv4: conv(8, k=3, s=2)\n  conv5: conv(8, k=3, s=2)\n  fc: linear(10)\n");
        var problem = Single(result, "CNN0009", 8, 10, "'conv5' (conv) receives 8x1x1", "would output 8x0x0");
        Assert.Single(result.Problems);

        var tooSmall = Pipeline.Compile(Header + "layers:\n  pool: maxpool(k=2)\n  conv: conv(8, k=17)\n");
        Single(tooSmall, "CNN0009", 5, 9, "'conv' (conv) receives 3x16x16", "8x0x0", "a 17x17 kernel");
    }

    [Fact]
    public void CNN0010_residual_shapes_cannot_be_added()
    {
        var yaml = Header + "layers:\n  block:\n    residual:\n      body:\n        conv1: conv(16, k=3, p=1)\n      shortcut: identity\n";
        var result = Pipeline.Compile(yaml);
        Single(result, "CNN0010", 8, 7, "'block'", "body gives 16x32x32", "shortcut gives 3x32x32");
    }

    [Fact]
    public void CNN0011_parameter_count_differs_from_published()
    {
        var yaml = Header + "published: { params: 1000, source: a paper }\nlayers:\n  conv1: conv(8, k=3)\n  pool: gap\n  fc: linear(10)\n";
        var result = Pipeline.Compile(yaml);
        // conv: 8*3*9 + 8 = 224, fc: 8*10 + 10 = 90, total 314.
        Single(result, "CNN0011", 3, 22, "Net has 314 parameters", "published count is 1,000 (a paper)", "-686", "conv1 (conv) 224", "fc (linear) 90");
        Assert.Null(result.Source);
    }

    [Fact]
    public void CNN0012_expression_errors_point_into_the_entry()
    {
        var result = Pipeline.Compile(Header + "args: { width: 8 }\nlayers:\n  conv1: conv(widht * 2, k=3)\n");
        Single(result, "CNN0012", 5, 15, "'widht' is not defined");
        var division = Pipeline.Compile(Header + "layers:\n  conv1: conv(8 // 0, k=3)\n");
        Single(division, "CNN0012", 4, 15, "division by zero");
    }

    [Fact]
    public void CNN0013_recursive_blocks_are_reported()
    {
        var yaml = Header + "blocks:\n  a: [b]\n  b:\n    - conv(8, k=1)\n    - a\nlayers:\n  x: a\n";
        var result = Pipeline.Compile(yaml);
        Single(result, "CNN0013", 7, 7, "'a' uses itself (a -> b -> a)");
    }

    [Fact]
    public void CNN0014_duplicate_keys()
    {
        var result = Pipeline.Compile(Header + "layers:\n  conv1: conv(8, k=3)\n  conv1: conv(8, k=3)\n");
        Single(result, "CNN0014", 5, 3, "'conv1' appears twice");
    }

    [Fact]
    public void CNN0014_two_layers_with_one_state_dict_name()
    {
        var yaml = Header + "blocks:\n  unit: { conv: conv(8, k=1) }\nlayers:\n  stage:\n    - 2x unit as unit{i+1}\n    - unit as unit2\n";
        Single(Pipeline.Compile(yaml), "CNN0014", 8, 7, "Two layers are named 'stage.unit2'");
    }

    [Fact]
    public void CNN0015_unknown_key_is_a_warning_with_did_you_mean()
    {
        var result = Pipeline.Compile(Header + "publisehd: { params: 1 }\nlayers:\n  f: flatten\n");
        var problem = Single(result, "CNN0015", 3, 1, "'publisehd'", "did you mean 'published'?");
        Assert.Equal(ProblemSeverity.Warning, problem.Severity);
        Assert.NotNull(result.Source);
    }

    [Fact]
    public void CNN0016_yaml_aliases_are_refused()
    {
        var result = Pipeline.Compile(Header + "layers:\n  a: &x conv(8, k=3)\n  b: *x\n");
        Assert.Contains(result.Problems, p => p.Id == "CNN0016" && p.Message.Contains("aliases") && p.Span.StartLine == 4);
        Assert.Contains(result.Problems, p => p.Id == "CNN0016" && p.Message.Contains("anchors") && p.Span.StartLine == 3);
    }

    [Fact]
    public void CNN0017_an_internal_failure_becomes_a_diagnostic_not_an_exception()
    {
        var result = CompileNetwork.Run("/src/net.cnn.yaml", null!, "Ns");
        var problem = Assert.Single(result.Problems);
        Assert.Equal("CNN0017", problem.Id);
        Assert.Contains("failed on this file", problem.Message);
        Assert.Contains("Exception", problem.Message);
    }

    [Fact]
    public void CNN0018_linear_on_a_feature_map_suggests_flatten()
    {
        var result = Pipeline.Compile(Header + "layers:\n  conv1: conv(8, k=3)\n  fc: linear(10)\n");
        Single(result, "CNN0018", 5, 7, "'fc' (linear) receives 8x30x30", "a flat vector", "add 'flatten'");
    }

    [Theory]
    [InlineData("      - { f1: flatten, fc1: linear(10) }\n      - { f2: flatten, fc2: linear(6) }\n", "'mixed' (concat) receives 10 and 6 but needs feature maps in every branch")]
    [InlineData("      - { b1: conv(8, k=1) }\n      - { f2: flatten, fc2: linear(6) }\n", "'mixed' (concat) receives 8x32x32 and 6 but needs feature maps in every branch")]
    public void CNN0018_a_concat_whose_branches_end_in_vectors_needs_feature_maps(string branches, string message)
    {
        // Channels are concatenated, so every branch must end in a feature map; one ending in flatten/linear is
        // reported at the concat key (line 5, column 5), and nothing is generated from it.
        var result = Pipeline.Compile(Header + "layers:\n  mixed:\n    concat:\n" + branches);
        var problem = Single(result, "CNN0018", 5, 5);
        Assert.Equal(message, problem.Message);
        Assert.Null(result.Source);
    }

    [Fact]
    public void CNN0019_concatenated_branches_must_agree_in_size()
    {
        var yaml = Header + "layers:\n  mixed:\n    concat:\n      - { b1: conv(8, k=1) }\n      - { b2: conv(8, k=3, s=2) }\n";
        var result = Pipeline.Compile(yaml);
        Single(result, "CNN0019", 7, 9, "'mixed'", "32x32, 15x15", "branch 2 is smaller: a stride-2 layer");
    }

    [Fact]
    public void CNN0023_a_gate_scale_must_have_the_input_channels()
    {
        var yaml = Header + "layers:\n  se:\n    gate:\n      pool: adaptive_avgpool(1)\n      fc1: conv(4, k=1)\n      fc2: conv(2, k=1)\n";
        var result = Pipeline.Compile(yaml);
        Single(result, "CNN0023", 5, 5, "'se'", "2x1x1 for an input of 3x32x32", "end the sub-network with 3 channels");
    }

    [Fact]
    public void CNN0023_a_gate_scale_must_stay_a_map()
    {
        var yaml = Header + "layers:\n  c: conv(8, k=1)\n  se:\n    gate: [gap]\n";
        var result = Pipeline.Compile(yaml);
        Single(result, "CNN0023", 6, 5, "gives 8 for an input of 8x32x32", "'adaptive_avgpool(1)' instead of 'gap'");
    }

    [Fact]
    public void CNN0024_split_needs_channels_divisible_by_the_parts()
    {
        var yaml = Header + "layers:\n  c: conv(15, k=1)\n  unit:\n    split: [identity, conv(in, k=1)]\n";
        var result = Pipeline.Compile(yaml);
        Single(result, "CNN0024", 6, 5, "15 channels cannot be split into 2 equal parts");
    }

    [Fact]
    public void CNN0025_an_entry_reads_only_outputs_named_before_it()
    {
        var yaml = Header + "layers:\n  a: conv(8, k=1)\n  b: conv(8, k=1, from=c)\n  c: conv(8, k=1)\n";
        Single(Pipeline.Compile(yaml), "CNN0025", 5, 24, "from=: 'c' is written after this entry", "outputs here: a, input");
    }

    [Fact]
    public void CNN0025_an_unknown_output_name_gets_the_nearest()
    {
        var yaml = Header + "layers:\n  enc1: conv(8, k=1)\n  enc2: conv(8, k=1)\n  cat: concat(enc1, enc3)\n";
        Single(Pipeline.Compile(yaml), "CNN0025", 6, 21, "concat(): 'enc3' is not an output here", "did you mean 'enc1'?");
    }

    [Fact]
    public void CNN0026_a_concat_of_outputs_names_both_sizes()
    {
        var yaml = Header + "layers:\n  enc: conv(8, k=3, p=1)\n  down: maxpool(2)\n  cat: concat(enc, down)\n";
        Single(Pipeline.Compile(yaml), "CNN0026", 6, 8, "'cat': concat cannot concatenate enc (8x32x32), down (8x16x16)", "crop the larger");
    }

    [Fact]
    public void CNN0020_unused_block_is_a_warning()
    {
        var result = Pipeline.Compile(Header + "blocks:\n  unit(w): [conv(w, k=1)]\nlayers:\n  f: flatten\n");
        var problem = Single(result, "CNN0020", 4, 3, "'unit' is never used");
        Assert.Equal(ProblemSeverity.Warning, problem.Severity);
        Assert.NotNull(result.Source);
    }

    [Fact]
    public void CNN0021_unused_model_argument_is_a_warning()
    {
        var result = Pipeline.Compile(Header + "args: { num_classes: 10, width: 8 }\nlayers:\n  c: conv(width, k=1)\n");
        var problem = Single(result, "CNN0021", 3, 9, "'num_classes' is never used");
        Assert.Equal(ProblemSeverity.Warning, problem.Severity);
    }

    [Fact]
    public void Every_catalog_id_is_unique_and_covered_by_a_test()
    {
        var ids = DiagnosticCatalog.All.Select(d => d.Id).ToList();
        Assert.Equal(ids.Count, ids.Distinct().Count());
        var tested = typeof(DiagnosticTests).GetMethods().Concat(typeof(InputSizeTests).GetMethods()).Concat(typeof(CustomLayerTests).GetMethods()).Select(m => m.Name).Where(n => n.StartsWith("CNN")).Select(n => n.Substring(0, 7)).ToHashSet();
        Assert.DoesNotContain(ids, id => !tested.Contains(id));
    }

    [Fact]
    public void Every_catalog_id_has_a_help_page()
    {
        var docs = Path.GetFullPath(Path.Combine(RepoRoot(), "docs", "diagnostics"));
        foreach (var info in DiagnosticCatalog.All)
        {
            var page = Path.Combine(docs, info.Id + ".md");
            Assert.True(File.Exists(page), page);
            Assert.StartsWith($"# {info.Id}: {info.Title}", File.ReadAllText(page));
        }
    }

    private static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        Path.Combine(Path.GetDirectoryName(file)!, "..", "..");

    [Fact]
    public void Independent_errors_are_all_reported_without_a_cascade()
    {
        var yaml = Header + "layers:\n  conv1: conv(8, k=3, strid=2)\n  bn1: bn\n  fc: linear(10)\n  head:\n    - relu\n    - dropot\n";
        var result = Pipeline.Compile(yaml);
        // The unknown argument makes conv1's output unknown: bn1 and fc are not blamed for it.
        Assert.Equal(new[] { "CNN0006", "CNN0004" }, result.Problems.Select(p => p.Id));
    }

    [Fact]
    public void An_error_inside_a_block_also_points_at_the_line_that_used_it()
    {
        var yaml = Header + "blocks:\n  unit(w):\n    - conv(w, k=3, groups=3)\nlayers:\n  a: unit(8)\n";
        var result = Pipeline.Compile(yaml);
        var problem = Single(result, "CNN0008", 5, 27, "groups=3 does not divide 8 output channels");
        Assert.Equal(7, problem.Related!.Value.StartLine + 1);
    }
}
