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
        Settle();
        var before = Tensor.TotalCount;
        using (var output = model.forward(input))
        {
            Assert.Equal(before + 1, Tensor.TotalCount);
        }
        Assert.Equal(before, Tensor.TotalCount);
    }

    /// <summary>Tensors leaked by earlier tests are freed by finalizers at any time; let that happen first.</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    private static long ResidentBytes()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        throw new InvalidOperationException("no VmRSS in /proc/self/status");
    }

    [Fact]
    public void Repeated_inference_keeps_live_tensors_and_resident_memory_flat()
    {
        // The benchmark sample runs 1,000 ResNet-50 calls; here 200 ResNet-18 calls after a warm-up.
        using var model = new ResNet18();
        model.eval();
        using var _ = no_grad();
        using var input = randn(1, 3, 112, 112);
        for (var i = 0; i < 20; i++) model.forward(input).Dispose();
        Settle();
        var tensors = Tensor.TotalCount;
        var resident = ResidentBytes();
        for (var i = 0; i < 200; i++) model.forward(input).Dispose();
        Settle();
        Assert.Equal(tensors, Tensor.TotalCount);
        var growth = (double)(ResidentBytes() - resident) / resident;
        Assert.True(growth < 0.05, $"resident memory grew {growth:P1} over 200 calls");
    }
}
