// Performance: generated networks, their inference forms (ToInference: batch norm folded, channels-last)
// and hand-written TorchSharp modules with the same weights (for the four networks that have one), side by side in one process, and PyTorch 1.13
// (torchvision's model eager and through optimize_for_inference, same batches and threads, in a child
// process when Debian's torchvision is installed): medians of interleaved rounds, so the machine's noise
// hits every contender alike. Prints img/s and the ratios.
//
//   dotnet run -c Release --project samples/Performance -- [--networks ResNet50,InceptionV3,DenseNet121,MobileNetV2,EfficientNetB0,ConvNeXtTiny]
//       [--batches 1,8,32] [--rounds 5] [--no-pytorch] [--keep-freed-memory]
//   dotnet run -c Release --project samples/Performance -- --memory [--warmup 100] [--calls 1000] [--hand-written] [--keep-freed-memory]
using System.Diagnostics;
using System.Globalization;
using CnnGen.Architectures;
using CnnGen.Benchmarks.HandWritten;
using CnnGen.Samples.Performance;
using static TorchSharp.torch;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var networks = (Option("--networks") ?? string.Join(",", Contenders.Measured)).Split(',');
var batches = (Option("--batches") ?? "1,8,32").Split(',').Select(int.Parse).ToArray();
var rounds = int.Parse(Option("--rounds") ?? "5", CultureInfo.InvariantCulture);
set_num_threads(2);
manual_seed(0);

// --keep-freed-memory: glibc keeps what a forward frees (NativeAllocator.KeepFreedMemory), so later calls
// reuse those pages instead of faulting them in again; without it, glibc's defaults.
var keepFreedMemory = args.Contains("--keep-freed-memory");
if (keepFreedMemory && !CnnGen.Runtime.NativeAllocator.KeepFreedMemory())
    Console.WriteLine("glibc's malloc is not this process's allocator: --keep-freed-memory changes nothing");

if (args.Contains("--memory"))
{
    // --hand-written: the same loop over the hand-written ResNet-50 (each call in a DisposeScope, which
    // it needs), to tell the generated forward's share of any growth from libtorch's and the allocator's.
    using var resnet = args.Contains("--hand-written") ? (nn.Module<Tensor, Tensor>)new HandWrittenResNet50() : new ResNet50();
    resnet.eval();
    MemoryCheck.Run(resnet, int.Parse(Option("--warmup") ?? "100", CultureInfo.InvariantCulture), int.Parse(Option("--calls") ?? "1000", CultureInfo.InvariantCulture), keepFreedMemory);
    return 0;
}

Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, {get_num_threads()} threads, eval, no_grad; img/s, median of {rounds} interleaved rounds" +
                  (keepFreedMemory ? "; glibc keeps freed memory (--keep-freed-memory)" : ""));
using var pytorch = args.Contains("--no-pytorch") ? null : PyTorch.Start();
var results = new List<Result>();
foreach (var name in networks)
{
    using var contenders = Contenders.Create(name);
    Console.WriteLine();
    Console.WriteLine($"{name} ({string.Join("x", contenders.SampleShape)})");
    Console.WriteLine($"{"batch",5} {"hand-written",13} {"generated",10} {"inference",10} {"gen/hand",9} {"inf/hand",9}" +
                      (pytorch is null ? "" : $" {"PyTorch",10} {"optimized",10}"));
    foreach (var batch in batches)
    {
        using var input = contenders.Input(batch);
        var candidates = new List<(string Name, Func<Tensor, Tensor> Forward)>();
        if (contenders.HandWritten is { } handWritten) candidates.Add(("hand-written", handWritten.forward));
        candidates.Add(("generated", contenders.Generated.forward));
        candidates.Add(("inference", contenders.Inference.forward));
        var times = candidates.Select(c => c.Name).Concat(["eager", "optimized"]).ToDictionary(c => c, _ => new List<double>());
        var iterations = batch >= 32 ? 1 : batch >= 8 ? 2 : 8;
        using (no_grad())
        {
            foreach (var (_, forward) in candidates) Measure(forward, input, 1); // warm-up
            pytorch?.Prepare(name, batch);
            for (var round = 0; round < rounds; round++)
            {
                foreach (var (candidate, forward) in candidates)
                    times[candidate].Add(Measure(forward, input, iterations));
                if (pytorch is null) continue;
                var (eager, optimized) = pytorch.Round(name, batch, iterations);
                times["eager"].Add(eager);
                times["optimized"].Add(optimized);
            }
        }
        double Rate(string candidate) => !times.TryGetValue(candidate, out var seconds) || seconds.Count == 0 ? double.NaN : batch / Median(seconds);
        var result = new Result(name, batch, Rate("hand-written"), Rate("generated"), Rate("inference"), Rate("eager"), Rate("optimized"));
        results.Add(result);
        Console.WriteLine($"{batch,5} {Rate1(result.Hand),12} {Rate1(result.Generated),9} {Rate1(result.Inference),9} {Ratio(result.Generated / result.Hand),9} {Ratio(result.Inference / result.Hand),9}" +
                          (pytorch is null ? "" : $" {result.Eager,8:F1}/s {result.Optimized,8:F1}/s"));
    }
}

if (pytorch is not null)
{
    Console.WriteLine();
    Console.WriteLine("TorchSharp over PyTorch 1.13 (same batch, same threads, rounds interleaved with TorchSharp's)");
    Console.WriteLine($"{"network",-12} {"batch",5} {"generated/eager",16} {"inference/eager",16} {"inference/optimized",20}");
    foreach (var r in results)
        Console.WriteLine($"{r.Network,-12} {r.Batch,5} {r.Generated / r.Eager,15:F2}x {r.Inference / r.Eager,15:F2}x {r.Inference / r.Optimized,19:F2}x");
}
return 0;

// "-" where a contender was not measured (no hand-written twin).
static string Rate1(double rate) => double.IsNaN(rate) ? "-" : $"{rate:F1}/s";
static string Ratio(double ratio) => double.IsNaN(ratio) ? "-" : $"{ratio:F2}x";

// The caller's dispose scope, as a TorchSharp user writes it for a hand-written module.
static double Measure(Func<Tensor, Tensor> forward, Tensor input, int iterations)
{
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++)
    {
        using var scope = NewDisposeScope();
        forward(input);
    }
    return clock.Elapsed.TotalSeconds / iterations;
}

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}

/// <summary>One network at one batch size, img/s; PyTorch's are NaN when it was not measured.</summary>
internal sealed record Result(string Network, int Batch, double Hand, double Generated, double Inference, double Eager, double Optimized);
