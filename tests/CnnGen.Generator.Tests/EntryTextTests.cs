using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Tests;

/// <summary>The scanner for an entry's repetition count and name pattern (what two regular expressions read before).</summary>
public class EntryTextTests
{
    [Theory]
    [InlineData("4x bottleneck(128)", "4", "bottleneck(128)")]
    [InlineData("  12 x conv(64)", "12", "conv(64)")]
    [InlineData("n x block", "n", "block")]
    [InlineData("nx block", "n", "block")]
    [InlineData("depth_2x  unit(3)", "depth_2", "unit(3)")]
    [InlineData("(1 if first else 0) x unit", "(1 if first else 0)", "unit")]
    [InlineData("box block", "bo", "block")]
    public void A_count_in_front_is_read(string text, string count, string body)
    {
        Assert.True(EntryText.TryRepetition(text, out var start, out var length, out var bodyStart));
        Assert.Equal(count, text.Substring(start, length));
        Assert.Equal(body, text.Substring(bodyStart));
    }

    [Theory]
    [InlineData("conv(64, k=3)")]
    [InlineData("3x3 conv")]
    [InlineData("4x")]
    [InlineData("4x   ")]
    [InlineData("x conv")]
    [InlineData("((2)) x unit")]
    [InlineData("maxpool(3, s=2)")]
    public void Anything_else_has_no_count(string text) =>
        Assert.False(EntryText.TryRepetition(text, out _, out _, out _));

    [Theory]
    [InlineData("dense_layer(32) as denselayer{i+1}", "dense_layer(32)", "denselayer{i+1}")]
    [InlineData("unit as block{i * 2 - 1}  ", "unit", "block{i * 2 - 1}")]
    [InlineData("a as b as c", "a", "b as c")]
    public void A_name_pattern_behind_is_read(string body, string call, string pattern)
    {
        Assert.True(EntryText.TryNamedAs(body, out var index, out var read));
        Assert.Equal(call, body.Substring(0, index));
        Assert.Equal(pattern, read);
    }

    [Theory]
    [InlineData("conv(64) as")]
    [InlineData("conv(64) as 1x")]
    [InlineData("conv(64) as name(3)")]
    [InlineData("conv(64) asname")]
    [InlineData("alias")]
    public void No_pattern_without_a_name_after_as(string body) =>
        Assert.False(EntryText.TryNamedAs(body, out _, out _));
}
