using CnnGen.Generator.Layers;

namespace CnnGen.Generator.Tests;

/// <summary>
/// block_index and block_count in a block's body: the instance's position among all instances of that block in the
/// network and their number (torchvision's stage_block_id and total_stage_blocks), across stages and repetitions.
/// </summary>
public class BlockIndexTests
{
    private static IReadOnlyList<double> Rates(string yaml)
    {
        var result = Pipeline.Compile(yaml);
        Assert.False(result.HasErrors, string.Join("\n", result.Problems));
        return result.Model!.Graph!.Nodes.Select(node => node.Operation).OfType<StochasticDepthOp>().Select(op => op.P.Value).ToList();
    }

    private const string Network = """
        name: Net
        input: [3, 8, 8]
        args: { p: 0.2 }
        blocks:
          unit(rate = p * block_index / block_count):
            residual:
              body:
                conv: conv(in, k=3, p=1)
                drop: stochastic_depth(rate)
          stage(n):
            - - n x unit
        layers:
          stem: conv(4, k=1)
          stages:
            - stage(2)
            - stage(3)
        """;

    [Fact]
    public void The_index_runs_over_every_instance_of_the_block_and_the_count_is_their_number()
    {
        // Five units in two stages: p * 0/5, p * 1/5, ..., p * 4/5, as torchvision's EfficientNet computes sd_prob.
        Assert.Equal([0.0, 0.04, 0.08, 0.12, 0.16], Rates(Network).Select(rate => Math.Round(rate, 10)));
    }

    [Fact]
    public void A_parameter_of_the_same_name_hides_it()
    {
        var yaml = Network.Replace("unit(rate = p * block_index / block_count)", "unit(block_index = 1, rate = p * block_index / block_count)");
        Assert.Equal([0.04, 0.04, 0.04, 0.04, 0.04], Rates(yaml).Select(rate => Math.Round(rate, 10)));
    }

    [Fact]
    public void A_repetition_count_that_depends_on_block_count_is_a_located_error()
    {
        // The count is known only after a walk of the whole network; a structure that changes with it has no answer.
        var yaml = Network.Replace("- - n x unit", "- - n x unit\n    - (1 if block_count < 10 else 0) x unit");
        var problem = Assert.Single(Pipeline.Compile(yaml).Problems, problem => problem.Severity == Diagnostics.ProblemSeverity.Error);
        Assert.Contains("cannot depend on block_count", problem.Message);
        Assert.Equal(5, problem.Span.StartLine + 1); // unit's header
    }
}
