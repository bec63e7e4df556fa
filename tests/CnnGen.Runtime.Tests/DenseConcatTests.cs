using CnnGen.Runtime;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests;

/// <summary>DenseConcat: what generated dense blocks concatenate with (a block buffer without autograd, torch.cat with it).</summary>
public class DenseConcatTests
{
    private static Tensor[] Parts(bool channelsLast) =>
        [.. new long[] { 4, 2, 2, 2 }.Select(c =>
        {
            var part = randn(3, c, 5, 6);
            return channelsLast ? Inference.ChannelsLast(part) : part;
        })];

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Without_autograd_each_prefix_equals_torch_cat_and_the_last_call_returns_the_whole_buffer(bool channelsLast)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var parts = Parts(channelsLast);
        using var dense = new DenseConcat(10);
        for (var count = 2; count <= parts.Length; count++)
        {
            var expected = cat(parts[..count], 1);
            var actual = dense.Concat(parts[..count]);
            Assert.Equal(expected.shape, actual.shape);
            Assert.True(actual.allclose(expected, rtol: 0, atol: 0), $"prefix of {count} parts differs");
            Assert.Equal(channelsLast, actual.stride(1) == 1);
        }
    }

    [Fact]
    public void With_autograd_it_concatenates_so_the_backward_pass_sees_what_forward_saw()
    {
        using var scope = NewDisposeScope();
        var parts = Parts(channelsLast: false).Select(p => p.requires_grad_()).ToArray();
        using var dense = new DenseConcat(10);
        var first = dense.Concat(parts[..2]);
        var product = (first * first).sum();
        var all = dense.Concat(parts);
        (product + all.sum()).backward();
        Assert.True(parts[0].grad!.allclose(2 * parts[0] + 1));
        Assert.True(parts[3].grad!.allclose(ones_like(parts[3])));
    }

    [Fact]
    public void More_channels_than_declared_is_an_error_not_a_silent_overwrite()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var dense = new DenseConcat(7);
        var error = Assert.Throws<InvalidOperationException>(() => dense.Concat(Parts(channelsLast: false)));
        Assert.Contains("7 channels", error.Message);
    }
}
