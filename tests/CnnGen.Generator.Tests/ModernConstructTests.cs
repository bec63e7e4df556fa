using CnnGen.Generator.Analysis;

namespace CnnGen.Generator.Tests;

/// <summary>The constructs networks after 2018 need: gates, splits, channels-last maps, layer scale, names with '-'.</summary>
public class ModernConstructTests
{
    private const string Header = "name: Net\ninput: [8, 16, 16]\n";

    private static CompileResult Clean(string yaml)
    {
        var result = Pipeline.Compile(yaml);
        Assert.False(result.HasErrors, string.Join("\n", result.Problems));
        return result;
    }

    [Fact]
    public void A_gate_multiplies_its_input_by_the_scale_and_its_layers_join_the_group()
    {
        var model = Clean(Header + "layers:\n  se:\n    gate:\n      avgpool: adaptive_avgpool(1)\n      fc1: conv(2, k=1)\n      act: silu\n      fc2: conv(8, k=1)\n      scale: hardsigmoid\n").Model!;
        Assert.Equal("8x16x16", model.Output!.ToString());
        Assert.Equal(8 * 2 + 2 + 2 * 8 + 8, model.ParameterCount);
        var se = Assert.Single(model.Root.Children);
        Assert.Equal(new[] { "fc1", "fc2" }, se.Children.Select(child => child.Name));
        var gate = model.Steps.Last();
        Assert.Equal("{0}.mul({1})", gate.Template);
        Assert.Same(model.InputVar, gate.Inputs[0]);
    }

    [Fact]
    public void An_identity_if_same_shortcut_adds_only_where_the_block_keeps_the_shape()
    {
        // torchvision's use_res_connect: one block for a row's strided first instance and the rest.
        var yaml = Header + "blocks:\n  unit(c, s):\n    residual:\n      body:\n        conv: conv(c, k=3, s=s, p=1)\n      shortcut: identity_if_same\n" +
                   "layers:\n  row:\n    - 3x unit(16, 2 if i == 0 else 1)\n  last: unit(32, 1)\n";
        var model = Clean(yaml).Model!;
        var adds = model.Steps.Where(step => step.Operation is Graph.AddOp).Select(step => step.Path).ToList();
        // row.0 strides and widens 8 -> 16, last widens 16 -> 32: the body alone; row.1 and row.2 keep the shape.
        Assert.Equal(new[] { "row.1", "row.2" }, adds);
        Assert.Equal("32x8x8", model.Output!.ToString());
        Assert.Equal(new[] { "row.0.conv.weight", "row.0.conv.bias", "row.1.conv.weight", "row.1.conv.bias", "row.2.conv.weight", "row.2.conv.bias", "last.conv.weight", "last.conv.bias" },
            model.StateDict.Tensors.Select(tensor => tensor.Name));
    }

    [Fact]
    public void A_misspelt_shortcut_suggests_identity_if_same()
    {
        var result = Pipeline.Compile(Header + "layers:\n  block:\n    residual:\n      body:\n        conv: conv(8, k=3, p=1)\n      shortcut: identity_if_sam\n");
        var problem = Assert.Single(result.Problems);
        Assert.Contains("use identity, auto, projection, identity_if_same, 'name = auto'", problem.Message);
        Assert.Contains("identity_if_same", problem.Message[problem.Message.IndexOf("or a list of layers", StringComparison.Ordinal)..]);
    }

    [Fact]
    public void A_split_sends_each_part_through_its_branch_and_concatenates()
    {
        var model = Clean(Header + "layers:\n  unit:\n    split:\n      - identity\n      - branch2: [conv(in, k=1, bias=false), bn]\n").Model!;
        Assert.Equal("8x16x16", model.Output!.ToString());
        Assert.Equal(4 * 4 + 2 * 4, model.ParameterCount);
        var parts = model.Steps.Where(step => step.Template.StartsWith("Forward.Part(", StringComparison.Ordinal)).ToList();
        Assert.Equal(new[] { "Forward.Part({0}, 0, 2)", "Forward.Part({0}, 1, 2)" }, parts.Select(step => step.Template));
        Assert.All(parts, part => Assert.True(part.Output.IsAlias));
        Assert.StartsWith("cat(", model.Steps.Last().Template, StringComparison.Ordinal);
    }

    [Fact]
    public void Linear_and_layernorm_act_on_the_channels_of_a_channels_last_map_and_a_conv_refuses_it()
    {
        var model = Clean(Header + "layers:\n  block: [permute(0, 2, 3, 1), layernorm(eps=1e-6), linear(32), gelu, linear(8), permute(0, 3, 1, 2)]\n").Model!;
        Assert.Equal("8x16x16", model.Output!.ToString());
        Assert.Equal(2 * 8 + (8 * 32 + 32) + (32 * 8 + 8), model.ParameterCount);
        Assert.Contains(model.Layers, row => row.Type == "linear" && row.Output.ToString() == "16x16x32");

        var refused = Pipeline.Compile(Header + "layers:\n  block: [permute(0, 2, 3, 1), conv(8, k=3)]\n");
        var problem = Assert.Single(refused.Problems, p => p.Id == "CNN0018");
        Assert.Contains("permute(0, 3, 1, 2)", problem.Message);
    }

    [Fact]
    public void Layer_scale_is_a_parameter_of_the_enclosing_group()
    {
        var result = Clean(Header + "layers:\n  block:\n    conv: conv(8, k=1)\n    layer_scale: layer_scale(1e-6)\n");
        var block = Assert.Single(result.Model!.Root.Children);
        var scale = block.Children.Single(child => child.Name == "layer_scale");
        Assert.True(scale.IsParameter);
        Assert.Equal(8 * 8 + 8 + 8, result.Model.ParameterCount);
        Assert.Contains("(\"layer_scale\", _block_layer_scale = new Parameter(torch.full(new long[] { 8, 1, 1 }, 1E-06)))", result.Source);
    }

    [Fact]
    public void Names_with_a_dash_keep_their_state_dict_key_and_get_distinct_fields()
    {
        var result = Clean(Header + "layers:\n  stage:\n    block1-0: conv(8, k=1)\n    block1_0: conv(8, k=1)\n    more: 2x conv(8, k=1) as unit-{i}\n");
        var stage = Assert.Single(result.Model!.Root.Children);
        Assert.Equal(new[] { "block1-0", "block1_0", "more" }, stage.Children.Select(child => child.Name));
        Assert.Equal(new[] { "unit-0", "unit-1" }, stage.Children[2].Children.Select(child => child.Name));
        var fields = stage.Children.Take(2).Select(child => child.Field).ToList();
        Assert.Equal(2, fields.Distinct().Count());
        Assert.Contains("(\"block1-0\", ", result.Source);
    }

    [Fact]
    public void A_block_parameter_may_name_the_layer_an_entry_uses()
    {
        var model = Clean(Header + "blocks:\n  conv_act(c, act):\n    - [conv(c, k=1), act]\nlayers:\n  features: [conv_act(8, 'hardswish'), conv_act(8, 'relu')]\n").Model!;
        Assert.Equal(new[] { "conv", "hardswish", "conv", "relu" }, model.Layers.Select(row => row.Type));
    }

    [Fact]
    public void A_shortcut_written_before_the_body_is_registered_first()
    {
        var yaml = Header + "layers:\n  block:\n    residual:\n      shortcut: proj = auto\n      body:\n        f: [conv(16, k=1, s=2), bn]\n";
        var block = Assert.Single(Clean(yaml).Model!.Root.Children);
        Assert.Equal(new[] { "proj", "f" }, block.Children.Select(child => child.Name));
        var bodyFirst = Assert.Single(Clean(yaml.Replace("      shortcut: proj = auto\n", "") + "      shortcut: proj = auto\n").Model!.Root.Children);
        Assert.Equal(new[] { "f", "proj" }, bodyFirst.Children.Select(child => child.Name));
    }

    [Fact]
    public void Stochastic_depth_reads_the_rate_and_the_training_flag_in_forward()
    {
        var result = Clean(Header + "args: { rate: 0.2 }\nlayers:\n  block:\n    residual:\n      body:\n        conv: conv(8, k=1)\n        drop: stochastic_depth(rate * 2 / 4)\n");
        // The conv's output is ours and read only here: scaled in place.
        Assert.Contains("Forward.StochasticDepth_(x1, ((rate * 2) / 4), training);", result.Source);
        Assert.Contains("rate", result.Model!.Steps.Single(step => step.Template.StartsWith("Forward.StochasticDepth", StringComparison.Ordinal)).Template);
    }

    [Fact]
    public void A_layer_written_as_the_gate_keyword_is_refused_rather_than_read_as_a_gate()
    {
        // Before gates, 'gate: sigmoid' was a layer named gate; as a gate it would quietly compute x * sigmoid(x).
        var result = Pipeline.Compile(Header + "layers:\n  conv: conv(8, k=1)\n  gate: sigmoid\n");
        var problem = Assert.Single(result.Problems, p => p.Id == "CNN0003");
        Assert.Equal((4, 2), (problem.Span.StartLine, problem.Span.StartColumn)); // 0-based: line 5, column 3
        Assert.Contains("gate keyword", problem.Message);
        Assert.Contains("gate: [", problem.Message);
    }
}
