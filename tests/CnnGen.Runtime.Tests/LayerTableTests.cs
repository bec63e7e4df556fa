using CnnGen.Runtime;

namespace CnnGen.Runtime.Tests;

/// <summary>The text form of the layer table that generated classes carry (see LayerInfo.ParseTable).</summary>
public class LayerTableTests
{
    [Fact]
    public void Rows_read_back_with_indentation_blank_lines_and_an_empty_detail()
    {
        var table = LayerInfo.ParseTable(@"
            conv1|conv|7x7/2|64x112x112|9408|118013952

            bn1|bn||64x112x112|128|0
            fc|linear||1000|513000|512000
            ");

        Assert.Equal(3, table.Length);
        Assert.Equal(new LayerInfo("conv1", "conv", "7x7/2", [64, 112, 112], 9408, 118013952).ToString(), table[0].ToString());
        Assert.Equal([64L, 112, 112], table[0].OutputShape);
        Assert.Equal("", table[1].Detail);
        Assert.Equal([1000L], table[2].OutputShape);
        Assert.Equal(512000, table[2].Macs);
    }

    [Fact]
    public void Percent_escapes_keep_bars_quotes_percent_signs_and_line_breaks_in_fields()
    {
        var table = LayerInfo.ParseTable("a%7Cb%22c|conv|50%25%0Anext|8x2x2|1|2");
        Assert.Equal("a|b\"c", table[0].Path);
        Assert.Equal("50%\nnext", table[0].Detail);
    }

    [Theory]
    [InlineData("conv1|conv|3x3|64x56x56|36864", "has 5 fields, not 6")]
    [InlineData("conv1|conv|3x3|64x56x56|many|1", "'many' is not a whole number")]
    [InlineData("conv1|conv|3x3|64xAx56|1|1", "'A' is not a whole number")]
    public void A_malformed_line_says_which_line_and_what_is_wrong(string line, string expected)
    {
        var error = Assert.Throws<FormatException>(() => LayerInfo.ParseTable("\nok|relu||1|0|0\n" + line));
        Assert.Contains("line 3", error.Message);
        Assert.Contains(expected, error.Message);
    }
}
