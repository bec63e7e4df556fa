using System.Diagnostics;
using CnnGen.Testing;
using static TorchSharp.torch;

namespace CnnGen.Samples.Performance;

/// <summary>
/// 1,000 inference calls of ResNet-50 at batch 1 after warm-up: resident memory at checkpoints, minor page
/// faults per call, live tensors. (A test checks the same with fewer calls; this reports the full count.)
/// </summary>
internal static class MemoryCheck
{
    public static void Run(nn.Module<Tensor, Tensor> model, int warmUp = 100, int calls = 1000, bool keptFreedMemory = false)
    {
        using var noGrad = no_grad();
        using var input = randn(1, 3, 224, 224);
        var afterTwenty = 0L;
        for (var i = 0; i < warmUp; i++)
        {
            Call(model, input);
            if (i == 19) afterTwenty = ProcessMemory.Resident();
        }
        var (rss0, faults0, tensors0, managed0) = (ProcessMemory.Resident(), ProcessMemory.MinorFaults(), Tensor.TotalCount, GC.GetTotalAllocatedBytes());
        Console.WriteLine($"{model.GetType().Name}, batch 1: resident memory after 20 calls {afterTwenty / 1048576} MB, after {warmUp} (the warm-up) {rss0 / 1048576} MB");
        var clock = Stopwatch.StartNew();
        for (var i = 1; i <= calls; i++)
        {
            Call(model, input);
            if (i % (calls / 4) == 0)
                Console.WriteLine($"  call {i,5}: resident {ProcessMemory.Resident() / 1048576} MB ({(double)(ProcessMemory.Resident() - rss0) / rss0:+0.0%;-0.0%} since warm-up), " +
                                  $"minor page faults per call so far {(ProcessMemory.MinorFaults() - faults0) / (double)i:F1}, live tensors {Tensor.TotalCount} (was {tensors0}), managed: {(GC.GetTotalAllocatedBytes() - managed0) / i / 1024} KB allocated per call, {GC.CollectionCount(0)} collections, {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576} MB committed; {ProcessMemory.DescribeNativeHeap()}");
        }
        var rss1 = ProcessMemory.Resident();
        Console.WriteLine($"{calls:N0} calls in {clock.Elapsed.TotalSeconds:F1} s: resident {rss0 / 1048576} -> {rss1 / 1048576} MB " +
                          $"({(double)(rss1 - rss0) / rss0:+0.0%;-0.0%}); counted from call 20: {(double)(rss1 - afterTwenty) / afterTwenty:+0.0%;-0.0%}");
        // Page faults per call depend on glibc handing the top of its heap back and faulting it in again
        // (docs/performance.md, Memory); that is the process's allocator setting, not the forward's.
        if (!keptFreedMemory && Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is null)
            Console.WriteLine("(page faults with glibc's defaults; --keep-freed-memory, which calls NativeAllocator.KeepFreedMemory(), keeps freed memory for reuse)");
    }

    /// <summary>One call; a dispose scope catches what a hand-written module leaves (the generated one leaves nothing).</summary>
    private static void Call(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using var scope = NewDisposeScope();
        model.forward(input);
    }
}
