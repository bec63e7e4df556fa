namespace CnnGen.Generator.Tests;

/// <summary>
/// One mistake in a call gives one diagnostic, with the hint that fits where the call is written:
/// the flow-list hint only where a flow list's comma really cut the entry, and a misspelled argument
/// reported as unknown (with its "did you mean") but not again as a missing one.
/// </summary>
public class CallMistakeTests
{
    private const string Header = "name: Net\ninput: [3, 32, 32]\n";

    private static string Describe(CompileResult result) =>
        string.Join("; ", result.Problems.Select(p => $"{p.Id}({p.Span.StartLine + 1},{p.Span.StartColumn + 1})"));

    [Fact]
    public void An_unclosed_call_in_a_mapping_is_missing_a_parenthesis_not_in_a_flow_list()
    {
        var result = Pipeline.Compile(Header + "layers:\n  conv1: conv(16, k=3\n  relu: relu\n");
        Assert.Equal("CNN0012(4,22)", Describe(result));
        var message = result.Problems.Single().Message;
        Assert.Contains("the call is missing a ')'", message);
        Assert.DoesNotContain("flow list", message);
    }

    [Fact]
    public void An_unclosed_call_as_the_last_item_of_a_flow_list_is_missing_a_parenthesis()
    {
        // The ']' ends the list, no comma cut the entry: "conv(16, k=3, relu" is one item without its ')'.
        var result = Pipeline.Compile(Header + "layers: [conv(16, k=3, relu]\n");
        Assert.Equal("CNN0012(3,24)", Describe(result));
        Assert.Contains("the call is missing a ')'", result.Problems.Single().Message);
        Assert.DoesNotContain("flow list", result.Problems.Single().Message);
    }

    [Theory]
    [InlineData("layers: ['conv(16', k=3), relu]\n", "CNN0012(3,18); CNN0012(3,22)")]
    [InlineData("layers: [conv(16\n  , k=3), relu]\n", "CNN0012(3,17); CNN0012(4,6)")]
    public void A_call_cut_by_a_flow_list_comma_gets_the_flow_list_hint(string layers, string expected)
    {
        var result = Pipeline.Compile(Header + layers);
        Assert.Equal(expected, Describe(result));
        Assert.Contains("inside a YAML flow list '[a, b]' every comma separates items", result.Problems[0].Message);
    }

    [Fact]
    public void A_misspelled_layer_argument_is_one_unknown_argument_not_also_a_missing_one()
    {
        var result = Pipeline.Compile(Header + "layers:\n  conv1: conv(16, kernal=3)\n");
        Assert.Equal("CNN0006(4,19)", Describe(result));
        Assert.Contains("'conv' has no argument 'kernal'; did you mean 'kernel'?", result.Problems.Single().Message);
    }

    [Fact]
    public void A_missing_argument_next_to_an_unrelated_unknown_one_is_still_reported()
    {
        // 'bogus' suggests no parameter, so 'kernel' is missing in its own right.
        var result = Pipeline.Compile(Header + "layers:\n  conv1: conv(16, bogus=3)\n");
        Assert.Equal("CNN0006(4,19); CNN0005(4,10)", Describe(result));
    }

    [Fact]
    public void A_misspelled_block_argument_is_one_unknown_argument_not_also_a_missing_one()
    {
        var result = Pipeline.Compile(Header + "blocks:\n  unit(width):\n    conv: conv(width, k=3)\nlayers:\n  stage: unit(widt=8)\n");
        Assert.Equal("CNN0006(7,15)", Describe(result));
        Assert.Contains("did you mean 'width'?", result.Problems.Single().Message);
    }
}
