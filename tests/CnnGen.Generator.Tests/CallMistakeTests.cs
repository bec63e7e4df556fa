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
