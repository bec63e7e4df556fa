using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>Tests that count live tensors process-wide, which parallel tests would disturb: they run alone.</summary>
[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection
{
}

[Collection(nameof(SerialCollection))]
public class MemoryTests
{
    [Fact]
    public void The_forward_pass_disposes_its_intermediates()
    {
        // Only the output may survive a forward pass outside any dispose scope.
        using var model = new ResNet18();
        model.eval();
        using var _ = no_grad();
        using var input = randn(1, 3, 64, 64);
        var before = Tensor.TotalCount;
        using (var output = model.forward(input))
        {
            Assert.Equal(before + 1, Tensor.TotalCount);
        }
        Assert.Equal(before, Tensor.TotalCount);
    }
}
