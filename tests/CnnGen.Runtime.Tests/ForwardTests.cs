using CnnGen.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests;

/// <summary>Forward: the generated forward's calls that leave nothing for the finalizer compute what TorchSharp's own calls do.</summary>
public class ForwardTests
{
    /// <summary>
    /// Convolutions and what each must equal: the module's own forward where Forward.Conv2d takes its fast path,
    /// and where it falls back to that forward, the same convolution written out independently (padding applied
    /// by hand), so the row does not compare conv.forward with itself.
    /// </summary>
    public static TheoryData<string, Func<nn.Module<Tensor, Tensor>>, Func<TorchSharp.Modules.Conv2d, Tensor, Tensor>> Convolutions()
    {
        static Tensor Module(TorchSharp.Modules.Conv2d conv, Tensor input) => conv.forward(input);
        return new()
        {
            { "3x3, padding 1", () => nn.Conv2d(4, 6, kernel_size: 3, padding: 1), Module },
            { "7x7/2, no bias", () => nn.Conv2d(4, 6, kernel_size: 7, stride: 2, padding: 3, bias: false), Module },
            { "1x7, (0, 3)", () => nn.Conv2d(4, 6, kernel_size: (1, 7), stride: (1, 1), padding: (0, 3)), Module },
            { "dilated", () => nn.Conv2d(4, 6, kernel_size: 3, padding: 2, dilation: 2), Module },
            { "grouped", () => nn.Conv2d(4, 6, kernel_size: 3, groups: 2), Module },
            { "depthwise, stride 2", () => nn.Conv2d(4, 4, kernel_size: 3, stride: 2, padding: 1, groups: 4), Module },
            { "reflect padding (falls back to forward)", () => nn.Conv2d(4, 6, kernel_size: 3, padding: 1, padding_mode: PaddingModes.Reflect),
                (conv, input) => nn.functional.conv2d(nn.functional.pad(input, new long[] { 1, 1, 1, 1 }, PaddingModes.Reflect), conv.weight!, conv.bias) },
            { "same padding (falls back to forward)", () => nn.Conv2d(4, 6, kernel_size: 3, padding: Padding.Same),
                (conv, input) => nn.functional.conv2d(input, conv.weight!, conv.bias, padding: new long[] { 1, 1 }) },
        };
    }

    [Theory]
    [MemberData(nameof(Convolutions))]
    public void Conv2d_equals_the_module_forward(string name, Func<nn.Module<Tensor, Tensor>> create, Func<TorchSharp.Modules.Conv2d, Tensor, Tensor> reference)
    {
        using var scope = NewDisposeScope();
        using var conv = (TorchSharp.Modules.Conv2d)create();
        var input = randn(2, 4, 11, 9);
        var expected = reference(conv, input);
        var actual = Forward.Conv2d(conv, input);
        Assert.Equal(expected.shape, actual.shape);
        Assert.True(actual.allclose(expected, rtol: 0, atol: 0), name);
    }

    [Fact]
    public void Adds_and_scales_equal_the_operators()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 3, 4, 4);
        var y = randn(2, 3, 4, 4);
        Assert.True(Forward.Add(x, y).allclose(x + y, rtol: 0, atol: 0));
        Assert.True(Forward.ScaleAdd(x, 0.17, y).allclose(y + 0.17 * x, rtol: 1e-6, atol: 1e-7));
        Assert.True(Forward.Mul(x, 1.7159).allclose(x * 1.7159, rtol: 0, atol: 0));
        Assert.True(Forward.Add_(x.clone(), y).allclose(x + y, rtol: 0, atol: 0));
        Assert.True(Forward.ScaleAdd_(x.clone(), 0.17, y).allclose(x * 0.17 + y, rtol: 0, atol: 0));
        Assert.True(Forward.Mul_(x.clone(), 2.0 / 3).allclose(x * (2.0 / 3), rtol: 0, atol: 0));
        Assert.True(Forward.Relu6_((x * 10).clone()).allclose(nn.functional.relu6(x * 10), rtol: 0, atol: 0));
    }

    [Fact]
    public void In_place_calls_return_the_tensor_they_were_given()
    {
        // The generator disposes the input handle of an in-place step only through its result.
        using var scope = NewDisposeScope();
        var x = randn(3, 3);
        var y = randn(3, 3);
        Assert.Same(x, Forward.Add_(x, y));
        Assert.Same(x, Forward.ScaleAdd_(x, 0.2, y));
        Assert.Same(x, Forward.Mul_(x, 0.5));
        Assert.Same(x, Forward.Relu6_(x));
    }

    [Fact]
    public void Scale_factors_past_the_cache_are_computed_right_and_not_kept()
    {
        // More distinct factors than the cache holds, each used in every scaling call: the results stay right,
        // and the table stops growing (past it each call frees its own scalar).
        using var scope = NewDisposeScope();
        var x = randn(2, 3);
        var y = randn(2, 3);
        for (var i = 0; i < Forward.MostCachedFactors + 40; i++)
        {
            var factor = 1.0 + i / 1000.0;
            Assert.True(Forward.Mul(x, factor).allclose(x * factor, rtol: 0, atol: 0));
            Assert.True(Forward.Mul_(x.clone(), factor).allclose(x * factor, rtol: 0, atol: 0));
            Assert.True(Forward.ScaleAdd(x, factor, y).allclose(y + factor * x, rtol: 1e-6, atol: 1e-6));
            Assert.True(Forward.ScaleAdd_(x.clone(), factor, y).allclose(x * factor + y, rtol: 0, atol: 0));
        }
        Assert.Equal(Forward.MostCachedFactors, Forward.CachedFactorCount);
    }

    [Fact]
    public void PadTo_puts_the_floor_half_of_the_extra_before_and_CenterCrop_takes_it_back()
    {
        // milesial's Up: F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2]); here dy = 3 (1 above, 2 below) and
        // dx = 2 (1 left, 1 right).
        using var scope = NewDisposeScope();
        var x = arange(1, 7, dtype: float32).reshape(1, 1, 2, 3);
        var reference = zeros(1, 4, 5, 5);
        var padded = Forward.PadTo(x, reference);
        Assert.Equal(new long[] { 1, 1, 5, 5 }, padded.shape);
        var expected = zeros(1, 1, 5, 5);
        expected[.., .., 1..3, 1..4] = x;
        Assert.True(padded.allclose(expected, rtol: 0, atol: 0));
        Assert.Equal(x.sum().item<float>(), padded.sum().item<float>());
        // The crop's corner is ((H - h) // 2, (W - w) // 2) = (1, 1): it undoes this pad.
        Assert.True(Forward.CenterCrop(padded, x).allclose(x, rtol: 0, atol: 0));
        var error = Assert.Throws<ArgumentException>(() => Forward.PadTo(reference, x));
        Assert.Contains("cannot pad a 5x5 map to 2x3", error.Message);
    }
}
