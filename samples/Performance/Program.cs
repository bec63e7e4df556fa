// Performance: generated networks, their inference forms (ToInference: batch norm folded, channels-last)
// and hand-written TorchSharp modules with the same weights, measured side by side in one process
// (medians of interleaved rounds, so machine noise hits all three alike), then PyTorch 1.13 on the same
// networks, batches and threads when Debian's torchvision is installed. Prints img/s and the ratios.
//
//   dotnet run -c Release --project samples/Performance -- [--networks ResNet50,InceptionV3,DenseNet121,MobileNetV2]
//       [--batches 1,8,32] [--rounds 5] [--no-pytorch] [--keep-freed-memory]
//   dotnet run -c Release --project samples/Performance -- --memory [--warmup 100] [--calls 1000] [--hand-written] [--keep-freed-memory]
using System.Diagnostics;
using System.Globalization;
using CnnGen.Architectures;
using CnnGen.Benchmarks.HandWritten;
using CnnGen.Samples.Performance;
using static TorchSharp.torch;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var networks = (Option("--networks") ?? string.Join(",", Contenders.Names)).Split(',');
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
var results = new List<(string Network, int Batch, double Hand, double Generated, double Inference)>();
foreach (var name in networks)
{
    using var contenders = Contenders.Create(name);
    Console.WriteLine();
    Console.WriteLine($"{name} ({string.Join("x", contenders.SampleShape)})");
    Console.WriteLine($"{"batch",5} {"hand-written",13} {"generated",10} {"inference",10} {"gen/hand",9} {"inf/hand",9}");
    foreach (var batch in batches)
    {
        using var input = contenders.Input(batch);
        var candidates = new (string Name, Func<Tensor, Tensor> Forward)[]
        {
            ("hand-written", contenders.HandWritten.forward),
            ("generated", contenders.Generated.forward),
            ("inference", contenders.Inference.forward),
        };
        var times = candidates.ToDictionary(c => c.Name, _ => new List<double>());
        var iterations = batch >= 32 ? 1 : batch >= 8 ? 2 : 8;
        using (no_grad())
        {
            foreach (var (_, forward) in candidates) Measure(forward, input, 1); // warm-up
            for (var round = 0; round < rounds; round++)
                foreach (var (candidate, forward) in candidates)
                    times[candidate].Add(Measure(forward, input, iterations));
        }
        double Rate(string candidate) => batch / Median(times[candidate]);
        var (hand, generated, inference) = (Rate("hand-written"), Rate("generated"), Rate("inference"));
        results.Add((name, batch, hand, generated, inference));
        Console.WriteLine($"{batch,5} {hand,10:F1}/s {generated,7:F1}/s {inference,7:F1}/s {generated / hand,8:F2}x {inference / hand,8:F2}x");
    }
}

if (!args.Contains("--no-pytorch")) PyTorch.Compare(networks, batches, rounds, results);
return 0;

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
