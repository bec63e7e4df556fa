using System.Diagnostics;
using static TorchSharp.torch;

namespace CnnGen.Samples.Performance;

/// <summary>1,000 inference calls: resident memory and page faults per call after warm-up.</summary>
internal static class MemoryCheck
{
    public static void Run(nn.Module<Tensor, Tensor> model)
    {
        using var noGrad = no_grad();
        using var input = randn(1, 3, 224, 224);
        for (var i = 0; i < 20; i++) model.forward(input).Dispose();
        var (rss0, faults0) = (Resident(), MinorFaults());
        var clock = Stopwatch.StartNew();
        for (var i = 0; i < 1000; i++) model.forward(input).Dispose();
        var (rss1, faults1) = (Resident(), MinorFaults());
        Console.WriteLine($"1,000 calls of ResNet-50 (batch 1) in {clock.Elapsed.TotalSeconds:F1} s after 20 warm-up calls:");
        Console.WriteLine($"  resident memory {rss0 / 1048576} MB -> {rss1 / 1048576} MB ({(double)(rss1 - rss0) / rss0:+0.0%;-0.0%}), " +
                          $"minor page faults per call {(faults1 - faults0) / 1000.0:F1}, live tensors {Tensor.TotalCount}");
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
