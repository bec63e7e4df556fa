using CnnGen.Runtime;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests;

/// <summary>InputCheck with size constraints: the joins whose maps agree in size only at some inputs.</summary>
public class InputCheckTests
{
    // A stride-2 conv (ceil(H / 2) = floor((H - 1) / 2) + 1) concatenated with a map strided twice and upsampled by 2
    // (2 * floor((H - 1) / 4) + 2): equal when H mod 4 is 0 or 3.
    private static readonly InputSizeConstraint[] Constraints =
    {
        new("neck.cat", "neck.cnn.yaml(7,8)", true, [1, -1, 2, 1], [2, -1, 4, 2]),
        new("neck.cat", "neck.cnn.yaml(7,8)", false, [1, -1, 2, 1], [2, -1, 4, 2]),
    };

    [Fact]
    public void A_size_is_accepted_where_every_constraint_holds_from_the_minimum_up()
    {
        var accepted = Enumerable.Range(1, 16).Select(h => (long)h).Where(h => InputCheck.Accepts(h, 8, 3, 3, Constraints));
        Assert.Equal(new long[] { 3, 4, 7, 8, 11, 12, 15, 16 }, accepted);
        Assert.False(InputCheck.Accepts(8, 6, 3, 3, Constraints));
        Assert.False(InputCheck.Accepts(4, 4, 5, 3, Constraints));
        Assert.Null(InputCheck.SizeProblem("Neck", 12, 7, 3, 3, Constraints));
    }

    [Fact]
    public void The_message_names_the_join_its_two_sizes_and_the_nearest_sizes_that_work()
    {
        var message = InputCheck.SizeProblem("Neck", 10, 8, 3, 3, Constraints);
        Assert.Equal("Neck cannot take an input of height 10 and width 8: the maps it joins would differ in size: at the height 10 the join 'neck.cat' " +
                     "(neck.cnn.yaml(7,8)) would get maps 5 and 6 high; use a height such as 8 or 11 (the heights that work repeat every 4).", message);
        // Nothing below the minimum is offered.
        Assert.Contains("use a width such as 3", InputCheck.SizeProblem("Neck", 4, 2, 2, 2, Constraints));
        Assert.DoesNotContain("such as 2 ", InputCheck.SizeProblem("Neck", 4, 2, 2, 2, Constraints));
    }

    [Fact]
    public void RequireAtLeast_with_constraints_throws_the_message_for_a_batch_of_a_size_that_does_not_fit()
    {
        using var scope = NewDisposeScope();
        InputCheck.RequireAtLeast(zeros(1, 3, 8, 7), "Neck", 3, 3, 3, Constraints);
        var error = Assert.Throws<ArgumentException>(() => InputCheck.RequireAtLeast(zeros(2, 3, 8, 9), "Neck", 3, 3, 3, Constraints));
        Assert.Contains("at the width 9 the join 'neck.cat' (neck.cnn.yaml(7,8)) would get maps 5 and 6 wide; use a width such as 8 or 11", error.Message);
        // Smaller than the minimum: the existing message.
        var small = Assert.Throws<ArgumentException>(() => InputCheck.RequireAtLeast(zeros(1, 3, 2, 8), "Neck", 3, 3, 3, Constraints));
        Assert.Contains("with H >= 3 and W >= 3", small.Message);
    }
}
