using System.Diagnostics;
using static TorchSharp.torch;

namespace CnnGen.Samples.Performance;

/// <summary>
/// 1,000 inference calls of ResNet-50 at batch 1 after warm-up: resident memory at checkpoints, minor page
/// faults per call, live tensors. (A test checks the same with fewer calls; this reports the full count.)
/// </summary>
internal static class MemoryCheck
{
    public static void Run(nn.Module<Tensor, Tensor> model, int warmUp = 100, int calls = 1000)
    {
        using var noGrad = no_grad();
        using var input = randn(1, 3, 224, 224);
        var afterTwenty = 0L;
        for (var i = 0; i < warmUp; i++)
        {
            Call(model, input);
            if (i == 19) afterTwenty = Resident();
        }
        var (rss0, faults0, tensors0, managed0) = (Resident(), MinorFaults(), Tensor.TotalCount, GC.GetTotalAllocatedBytes());
        Console.WriteLine($"{model.GetType().Name}, batch 1: resident memory after 20 calls {afterTwenty / 1048576} MB, after {warmUp} (the warm-up) {rss0 / 1048576} MB");
        var clock = Stopwatch.StartNew();
        for (var i = 1; i <= calls; i++)
        {
            Call(model, input);
            if (i % (calls / 4) == 0)
                Console.WriteLine($"  call {i,5}: resident {Resident() / 1048576} MB ({(double)(Resident() - rss0) / rss0:+0.0%;-0.0%} since warm-up), " +
                                  $"minor page faults per call so far {(MinorFaults() - faults0) / (double)i:F1}, live tensors {Tensor.TotalCount} (was {tensors0}), managed: {(GC.GetTotalAllocatedBytes() - managed0) / i / 1024} KB allocated per call, {GC.CollectionCount(0)} collections, {GC.GetGCMemoryInfo().TotalCommittedBytes / 1048576} MB committed");
        }
        var rss1 = Resident();
        Console.WriteLine($"{calls:N0} calls in {clock.Elapsed.TotalSeconds:F1} s: resident {rss0 / 1048576} -> {rss1 / 1048576} MB " +
                          $"({(double)(rss1 - rss0) / rss0:+0.0%;-0.0%}); counted from call 20: {(double)(rss1 - afterTwenty) / afterTwenty:+0.0%;-0.0%}");
    }

    /// <summary>One call; a dispose scope catches what a hand-written module leaves (the generated one leaves nothing).</summary>
    private static void Call(nn.Module<Tensor, Tensor> model, Tensor input)
    {
        using var scope = NewDisposeScope();
        model.forward(input);
    }

    private static long Resident()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:")) return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;
        return 0;
    }

    /// <summary>minflt, field 10 of /proc/self/stat.</summary>
    private static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7]);
    }
}
