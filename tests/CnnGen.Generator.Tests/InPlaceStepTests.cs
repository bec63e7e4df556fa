namespace CnnGen.Generator.Tests;

/// <summary>
/// Which steps of the generated forward overwrite their input: products whose factor learns (a gate, a layer
/// scale) take x over and decide at run time; stochastic depth runs in place; nothing overwrites a tensor
/// still needed. The architecture tests run the backward through each of them (ZooTests).
/// </summary>
public class InPlaceStepTests
{
    private const string Header = "name: Net\ninput: [8, 16, 16]\n";

    private static string Source(string yaml)
    {
        var result = Pipeline.Compile(Header + yaml);
        Assert.False(result.HasErrors, string.Join("\n", result.Problems));
        return result.Source!;
    }

    [Fact]
    public void A_gate_takes_over_x_when_its_product_is_the_last_read()
    {
        var source = Source("layers:\n  conv: conv(8, k=3, p=1)\n  se:\n    gate:\n      avgpool: adaptive_avgpool(1)\n      fc1: conv(2, k=1)\n      act: silu\n      fc2: conv(8, k=1)\n      scale: sigmoid\n  head: conv(4, k=1)\n");
        Assert.Contains("x1 = Forward.MulConsuming(x1, x5);\n", source);
        Assert.DoesNotContain(".mul(", source);
    }

    [Fact]
    public void A_gate_whose_input_is_still_needed_multiplies_into_a_new_tensor()
    {
        // The shortcut reads the gate's input (the stem's output, ours) after the product.
        var source = Source("layers:\n  stem: conv(8, k=1)\n  block:\n    residual:\n      body:\n        se:\n          gate: [adaptive_avgpool(1), conv(8, k=1), sigmoid]\n");
        Assert.DoesNotContain("MulConsuming", source);
        Assert.Contains(".mul(", source);
    }

    [Fact]
    public void A_layer_scale_takes_over_its_input_and_stochastic_depth_runs_in_place()
    {
        var source = Source("layers:\n  block:\n    residual:\n      body:\n        conv: conv(8, k=3, p=1)\n        bn: bn\n        act: hardswish\n        layer_scale: layer_scale(0.5)\n        drop: stochastic_depth(0.1)\n");
        Assert.Contains("x2 = Forward.MulConsuming(x2, _block_layer_scale);", source);
        Assert.Contains("Forward.StochasticDepth_(x2, 0.1, training);", source);
        // hardswish run in place keeps a copy of its input, not its output, so the add may overwrite the body.
        Assert.Contains("Forward.Add_(x2, input);", source);
    }

    [Fact]
    public void Stochastic_depth_after_a_saved_output_takes_it_over_and_the_add_makes_a_new_tensor()
    {
        // Autograd keeps a ReLU's output: stochastic depth may not scale it in place in training.
        var source = Source("layers:\n  block:\n    residual:\n      body:\n        conv: conv(8, k=3, p=1)\n        act: relu\n        drop: stochastic_depth(0.1)\n");
        Assert.Contains("x1 = Forward.StochasticDepthConsuming(x1, 0.1, training);", source);
        Assert.Contains("= Forward.Add(x1, input);", source);
    }
}
