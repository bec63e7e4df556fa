using CnnGen.Generator.Analysis;
using CnnGen.Generator.Emit;

namespace CnnGen.Generator.Tests;

/// <summary>The composition features of the DSL, checked on small networks by shapes, counts and names.</summary>
public class DslFeatureTests
{
    private static NetworkModel Model(string yaml)
    {
        var result = Pipeline.Compile(yaml);
        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));
        return result.Model!;
    }

    private static IEnumerable<string> Leaves(ModuleNode node, string prefix = "") =>
        node.IsGroup
            ? node.Children.SelectMany(child => Leaves(child, prefix.Length == 0 ? child.Name : prefix + "." + child.Name))
            : new[] { prefix };

    [Fact]
    public void Concat_branches_add_channels_and_keep_torchvision_names()
    {
        var model = Model("name: Net\ninput: [16, 8, 8]\nlayers:\n  mixed:\n    concat:\n      - { branch1x1: conv(8, k=1) }\n      - { branch3x3_1: conv(4, k=1), branch3x3_2: conv(12, k=3, p=1) }\n      - branch_pool: [maxpool(k=3, s=1, p=1), conv(4, k=1)]\n");
        Assert.Equal("24x8x8", model.Output!.ToString());
        Assert.Equal(new[] { "mixed.branch1x1", "mixed.branch3x3_1", "mixed.branch3x3_2", "mixed.branch_pool.1" }, Leaves(model.Root));
        Assert.Equal(16 * 8 + 8 + 16 * 4 + 4 + 4 * 12 * 9 + 12 + 16 * 4 + 4, model.ParameterCount);
    }

    [Fact]
    public void Scaled_residual_emits_shortcut_plus_scale_times_body()
    {
        var result = Pipeline.Compile("name: Net\ninput: [8, 4, 4]\nlayers:\n  block:\n    residual:\n      body: { conv: conv(8, k=1) }\n      scale: 0.17\n      then: relu\n");
        Assert.Empty(result.Problems);
        Assert.Contains("Forward.ScaleAdd_(x1, 0.17, input);", result.Source);
    }

    [Fact]
    public void Dense_connectivity_grows_channels_and_names_layers_by_pattern()
    {
        var model = Model("name: Net\ninput: [16, 8, 8]\nblocks:\n  unit(g):\n    norm: bn\n    conv: conv(g, k=3, p=1, bias=false)\n  transition:\n    conv: conv(in/2, k=1)\n    pool: avgpool(k=2)\nlayers:\n  block1:\n    dense: 3x unit(4) as layer{i+1}\n  transition1: transition\n");
        Assert.Equal("14x4x4", model.Output!.ToString());
        Assert.Contains("block1.layer3.conv", Leaves(model.Root));
        // bn sees 16, 20, 24 channels; convs map them to 4.
        var expected = 2 * (16 + 20 + 24) + 9 * 4 * (16 + 20 + 24) + 28 * 14 + 14;
        Assert.Equal(expected, model.ParameterCount);
    }

    [Fact]
    public void Same_padding_keeps_the_size_at_stride_one_and_is_refused_at_stride_two()
    {
        Assert.Equal("8x7x7", Model("name: Net\ninput: [3, 7, 7]\nlayers:\n  c: conv(8, k=(1, 7), p=same)\n").Output!.ToString());
        var result = Pipeline.Compile("name: Net\ninput: [3, 7, 7]\nlayers:\n  c: conv(8, k=3, s=2, p=same)\n");
        Assert.Contains(result.Problems, p => p.Id == "CNN0007" && p.Message.Contains("asymmetric padding"));
    }

    [Fact]
    public void Depthwise_convolution_uses_one_filter_per_channel()
    {
        var model = Model("name: Net\ninput: [32, 8, 8]\nlayers:\n  dw: dwconv(k=3, p=1, bias=false)\n  pw: conv(64, k=1, bias=false)\n");
        Assert.Equal(32 * 9 + 32 * 64, model.ParameterCount);
        Assert.Contains("Conv2d(32, 32, kernel_size: 3, padding: 1, groups: 32, bias: false)", ModuleConstruction.Of(model.Root.Children[0], "dw", model));
    }

    [Fact]
    public void Local_response_norm_and_make_divisible()
    {
        var model = Model("name: Net\ninput: [3, 16, 16]\nargs: { alpha: 0.75 }\nlayers:\n  c: conv(make_divisible(32 * alpha), k=3)\n  n: lrn(5, alpha=0.0001, beta=0.75)\n");
        Assert.Equal("24x14x14", model.Output!.ToString());
        Assert.Contains("LocalResponseNorm(5", ModuleConstruction.Of(model.Root.Children[1], "n", model));
        // alpha is a constructor argument, so the channel count is recomputed from it at run time.
        Assert.Contains("CnnGen.Runtime.DslMath.MakeDivisible((32 * alpha), 8)", ModuleConstruction.Of(model.Root.Children[0], "c", model));
    }

    [Fact]
    public void Variants_make_one_class_each_with_fixed_arguments()
    {
        var yaml = "input: [3, 8, 8]\nargs: { width: 8, num_classes: 10 }\nvariants:\n  Small: { args: { width: 4 }, params: 162 }\n  Large: { args: { width: 16 }, params: 618 }\nlayers:\n  c: conv(width, k=3, p=1)\n  pool: gap\n  fc: linear(num_classes)\n";
        var result = Pipeline.Compile(yaml);
        Assert.Empty(result.Problems);
        Assert.Equal(new[] { "Small", "Large" }, result.Networks.Select(n => n.ClassName));
        Assert.Contains("public Large(int numClasses = 10)", result.Networks[1].Source);
        Assert.DoesNotContain("int width", result.Networks[1].Source);
    }

    [Fact]
    public void Aux_heads_run_only_when_asked_and_only_in_the_variant_that_has_them()
    {
        var yaml = "input: [3, 16, 16]\nargs: { aux: false }\nvariants:\n  Plain: { args: { aux: false } }\n  WithAux: { args: { aux: true } }\n" +
                   "aux:\n  aux1: { at: stage1, when: aux, layers: { pool: gap, fc: linear(10) } }\n" +
                   "layers:\n  stage1: conv(8, k=3, p=1)\n  stage2: conv(8, k=3, s=2, p=1)\n  pool: gap\n  fc: linear(10)\n";
        var result = Pipeline.Compile(yaml);
        Assert.Empty(result.Problems);
        var plain = result.Models.Single(m => m.ClassName == "Plain");
        var withAux = result.Models.Single(m => m.ClassName == "WithAux");
        Assert.Empty(plain.AuxOutputs);
        Assert.Equal(plain.ParameterCount + 8 * 10 + 10, withAux.ParameterCount);
        var source = result.Networks.Single(n => n.ClassName == "WithAux").Source;
        Assert.Contains("public sealed record Outputs(Tensor Output, Tensor? Aux1)", source);
        // Without a head it is tapped (two levels), so the aux steps run in TrunkSteps when given an array.
        Assert.Contains("if (aux is not null)", source);
        Assert.Contains("public Outputs ForwardWithAux(Tensor input) => Run(input, withAux: training);", source);
        Assert.Equal(new[] { "stage1", "aux1.fc", "stage2", "fc" }, Leaves(withAux.Root));
    }

    [Fact]
    public void An_aux_head_given_as_one_block_holds_the_block_layers_directly()
    {
        var yaml = "name: Net\ninput: [3, 16, 16]\nblocks:\n  head(n):\n    pool: gap\n    fc: linear(n)\n" +
                   "aux:\n  aux1: { at: stage1, layers: head(10) }\nlayers:\n  stage1: conv(8, k=3, p=1)\n  pool: gap\n  fc: linear(10)\n";
        Assert.Equal(new[] { "stage1", "aux1.fc", "fc" }, Leaves(Model(yaml).Root));
    }

    [Fact]
    public void A_computed_repetition_count_can_leave_a_layer_out()
    {
        var yaml = "name: Net\ninput: [8, 4, 4]\nblocks:\n  unit(first):\n    - (0 if first else 1)x relu\n    - conv(8, k=1)\nlayers:\n  a: [unit(true), unit(false)]\n";
        var model = Model(yaml);
        Assert.Equal(new[] { "conv", "relu", "conv" }, model.Layers.Select(row => row.Type));
        Assert.Equal(new[] { "a.0", "a.1", "a.2" }, model.Layers.Select(row => row.Path));
    }

    [Fact]
    public void A_key_with_a_name_pattern_puts_the_repetitions_in_the_mapping_itself()
    {
        var yaml = "name: Net\ninput: [8, 4, 4]\nblocks:\n  unit: { conv: conv(8, k=1) }\nlayers:\n  block1: unit\n  block{i+2}: 3x unit\n";
        Assert.Equal(new[] { "block1.conv", "block2.conv", "block3.conv", "block4.conv" }, Leaves(Model(yaml).Root));
    }

    [Fact]
    public void A_single_block_in_a_list_can_be_named_with_as()
    {
        var yaml = "name: Net\ninput: [8, 4, 4]\nblocks:\n  unit: { conv: conv(8, k=1) }\nlayers:\n  features:\n    - conv(8, k=1)\n    - unit as unit1\n";
        Assert.Equal(new[] { "features.0", "features.unit1.conv" }, Leaves(Model(yaml).Root));
    }

    [Fact]
    public void Unused_warnings_count_only_what_no_variant_uses()
    {
        var yaml = "input: [3, 16, 16]\nargs: { aux: false, aux_rate: 0.7 }\nvariants:\n  Plain: { args: { aux: false } }\n  WithAux: { args: { aux: true } }\n" +
                   "blocks:\n  head: { pool: gap, drop: dropout(aux_rate), fc: linear(10) }\n" +
                   "aux:\n  aux1: { at: stage1, when: aux, layers: head }\n" +
                   "layers:\n  stage1: conv(8, k=3, p=1)\n  pool: gap\n  fc: linear(10)\n";
        Assert.Empty(Pipeline.Compile(yaml).Problems);
    }

    [Fact]
    public void An_aux_head_at_an_unknown_layer_is_reported()
    {
        var result = Pipeline.Compile("name: Net\ninput: [3, 8, 8]\naux:\n  a: { at: stgae1, layers: { fc: linear(2) } }\nlayers:\n  stage1: conv(8, k=3)\n");
        Assert.Contains(result.Problems, p => p.Id == "CNN0004" && p.Message.Contains("did you mean 'stage1'?"));
    }
}
