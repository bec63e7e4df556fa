// Performance: generated networks, their inference forms (ToInference: batch norm folded, channels-last)
// and hand-written TorchSharp modules with the same weights (for the four networks that have one), side by side in one process, and PyTorch 1.13
// (torchvision's model eager and through optimize_for_inference, same batches and threads, in a child
// process when Debian's torchvision is installed), and ONNX Runtime on CnnGen's exported file against
// torch.onnx.export's file of the same torchvision network with the same weights (OnnxRuntime.cs; CnnGen's file as
// ExportOnnx writes it and with height and width fixed as torch.onnx's are): medians of
// interleaved rounds, so the machine's noise hits every contender alike. Prints img/s and the ratios.
//
//   dotnet run -c Release --project samples/Performance -- [--networks ResNet50,InceptionV3,DenseNet121,MobileNetV2,EfficientNetB0,ConvNeXtTiny]
//       [--batches 1,8,32] [--rounds 5] [--no-pytorch] [--onnx | --onnx-only] [--onnx-dump <folder>] [--keep-freed-memory]
//   dotnet run -c Release --project samples/Performance -- --memory [--warmup 100] [--calls 1000] [--hand-written] [--keep-freed-memory]
//
// --onnx adds the ONNX Runtime sessions (CnnGen's file, CnnGen's fixed-size file, torch.onnx's; the first run of a network
// writes torch.onnx's file with Debian's PyTorch); --onnx-only measures them alone (no TorchSharp or PyTorch contender);
// --onnx-dump writes ONNX Runtime's optimized graph of each file into the folder and prints their op types (what it fused).
using System.Diagnostics;
using System.Globalization;
using CnnGen.Architectures;
using CnnGen.Benchmarks.HandWritten;
using CnnGen.Samples.Performance;
using Microsoft.ML.OnnxRuntime;
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

var onnxOnly = args.Contains("--onnx-only");
var onnx = onnxOnly || args.Contains("--onnx");
var onnxDump = Option("--onnx-dump");
Console.WriteLine($"{DateTime.UtcNow:yyyy-MM-dd}, {Environment.ProcessorCount} cores, {get_num_threads()} threads, eval, no_grad; img/s, median of {rounds} interleaved rounds" +
                  (keepFreedMemory ? "; glibc keeps freed memory (--keep-freed-memory)" : "") +
                  (onnx ? "; ONNX Runtime: 2 intra-op threads, default graph optimization, the same options for every file" : ""));
using var pytorch = args.Contains("--no-pytorch") || onnxOnly ? null : PyTorch.Start();
var results = new List<Result>();
foreach (var name in networks)
{
    using var contenders = onnxOnly ? null : Contenders.Create(name);
    using var ort = onnx ? OnnxRuntimeFiles.Create(name) : null;
    var sampleShape = contenders?.SampleShape ?? Shape(name);
    Console.WriteLine();
    Console.WriteLine($"{name} ({string.Join("x", sampleShape)})");
    ort?.Describe(name, onnxDump);
    Console.WriteLine($"{"batch",5}" +
                      (contenders is null ? "" : $" {"hand-written",13} {"generated",10} {"inference",10} {"gen/hand",9} {"inf/hand",9}") +
                      (pytorch is null ? "" : $" {"PyTorch",10} {"optimized",10}") +
                      (ort is null ? "" : $" {"ORT CnnGen",11} {"ORT fixed",10} {"ORT torch",10} {"CnnGen/torch",13} {"fixed/torch",12}"));
    foreach (var batch in batches)
    {
        using var input = randn([batch, .. sampleShape]);
        using var ortInput = ort is null ? null : OrtValue.CreateTensorValueFromMemory(input.data<float>().ToArray(), input.shape);
        var candidates = new List<(string Name, Action Call)>();
        if (contenders?.HandWritten is { } handWritten) candidates.Add(("hand-written", TorchSharpCall(handWritten, input)));
        if (contenders is not null)
        {
            candidates.Add(("generated", TorchSharpCall(contenders.Generated, input)));
            candidates.Add(("inference", TorchSharpCall(contenders.Inference, input)));
        }
        // ONNX Runtime's files, measured one after the other, the first one rotating from round to round.
        List<(string Name, Action Call)> onnxCalls = ort is null ? [] : ort.Files.Select(file => ("ort-" + file.Name, (Action)(() => OnnxRuntimeFiles.Run(file.Session, ortInput!)))).ToList();
        var times = candidates.Concat(onnxCalls).Select(c => c.Name).Concat(["eager", "optimized"]).ToDictionary(c => c, _ => new List<double>());
        var iterations = batch >= 32 ? 1 : batch >= 8 ? 2 : 8;
        // ONNX Runtime's files get half as many calls a round, so the three of a round run closer together in time.
        var onnxIterations = Math.Max(1, iterations / 2);
        using (no_grad())
        {
            foreach (var (_, call) in candidates.Concat(onnxCalls)) Measure(call, 1); // warm-up
            if (ort is not null)
            {
                var (difference, largest) = ort.Compare(ortInput!);
                Console.WriteLine($"  batch {batch}: ONNX Runtime, max |CnnGen's outputs - torch.onnx's| {difference:G3} (max |output| {largest:G3})");
            }
            pytorch?.Prepare(name, batch);
            for (var round = 0; round < rounds; round++)
            {
                foreach (var (candidate, call) in candidates)
                    times[candidate].Add(Measure(call, iterations));
                if (pytorch is not null)
                {
                    var (eager, optimized) = pytorch.Round(name, batch, iterations);
                    times["eager"].Add(eager);
                    times["optimized"].Add(optimized);
                }
                for (var i = 0; i < onnxCalls.Count; i++)
                {
                    var (candidate, call) = onnxCalls[(round + i) % onnxCalls.Count];
                    times[candidate].Add(Measure(call, onnxIterations));
                }
            }
        }
        double Rate(string candidate) => !times.TryGetValue(candidate, out var seconds) || seconds.Count == 0 ? double.NaN : batch / Median(seconds);
        // ONNX Runtime's ratios pair each round's times (the files ran back to back), so drift between rounds cancels.
        double Paired(string candidate) => ort is null ? double.NaN : Median(times["ort-torch"].Zip(times[candidate], (torch, own) => torch / own).ToList());
        var result = new Result(name, batch, Rate("hand-written"), Rate("generated"), Rate("inference"), Rate("eager"), Rate("optimized"),
            Rate("ort-cnngen"), Rate("ort-cnngen-fixed"), Rate("ort-torch"), Paired("ort-cnngen"), Paired("ort-cnngen-fixed"));
        results.Add(result);
        Console.WriteLine($"{batch,5}" +
                          (contenders is null ? "" : $" {Rate1(result.Hand),12} {Rate1(result.Generated),9} {Rate1(result.Inference),9} {Ratio(result.Generated / result.Hand),9} {Ratio(result.Inference / result.Hand),9}") +
                          (pytorch is null ? "" : $" {result.Eager,8:F1}/s {result.Optimized,8:F1}/s") +
                          (ort is null ? "" : $" {result.OrtCnnGen,9:F1}/s {result.OrtFixed,8:F1}/s {result.OrtTorch,8:F1}/s {result.OrtCnnGenRatio,12:F3}x {result.OrtFixedRatio,11:F3}x"));
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
if (onnx)
{
    Console.WriteLine();
    Console.WriteLine("ONNX Runtime: CnnGen's files over torch.onnx.export's (same weights, same session options; img/s medians,");
    Console.WriteLine("ratios the median of each round's torch time over CnnGen's). CnnGen: ExportOnnx(path), height and width dynamic;");
    Console.WriteLine("fixed: OnnxExport.Write(network, path, fixedSize: true), height and width fixed as in torch.onnx's file.");
    Console.WriteLine($"{"network",-14} {"batch",5} {"ORT CnnGen",11} {"ORT fixed",10} {"ORT torch",10} {"CnnGen/torch",13} {"fixed/torch",12}");
    foreach (var r in results)
        Console.WriteLine($"{r.Network,-14} {r.Batch,5} {r.OrtCnnGen,9:F1}/s {r.OrtFixed,8:F1}/s {r.OrtTorch,8:F1}/s {r.OrtCnnGenRatio,12:F3}x {r.OrtFixedRatio,11:F3}x");
}
return 0;

// "-" where a contender was not measured (no hand-written twin).
static string Rate1(double rate) => double.IsNaN(rate) ? "-" : $"{rate:F1}/s";
static string Ratio(double ratio) => double.IsNaN(ratio) ? "-" : $"{ratio:F2}x";

// One TorchSharp call in the caller's dispose scope, as a TorchSharp user writes it for a hand-written module.
static Action TorchSharpCall(nn.Module<Tensor, Tensor> module, Tensor input) => () =>
{
    using var scope = NewDisposeScope();
    module.forward(input);
};

// Seconds per call, the mean of iterations calls.
static double Measure(Action call, int iterations)
{
    var clock = Stopwatch.StartNew();
    for (var i = 0; i < iterations; i++) call();
    return clock.Elapsed.TotalSeconds / iterations;
}

// A network's sample shape without building it (--onnx-only).
static long[] Shape(string name) => name switch
{
    "ResNet50" => ResNet50.InputShape,
    "InceptionV3" => InceptionV3.InputShape,
    "DenseNet121" => DenseNet121.InputShape,
    "MobileNetV2" => MobileNetV2.InputShape,
    "EfficientNetB0" => EfficientNetB0.InputShape,
    "ConvNeXtTiny" => ConvNeXtTiny.InputShape,
    _ => throw new ArgumentException($"{name} is not measured; the networks compared are {string.Join(", ", Contenders.Measured)}."),
};

static double Median(List<double> values)
{
    var sorted = values.Order().ToList();
    return sorted[sorted.Count / 2];
}

/// <summary>One network at one batch size, img/s (and ONNX Runtime's paired ratios); NaN for a contender that was not measured.</summary>
internal sealed record Result(string Network, int Batch, double Hand, double Generated, double Inference, double Eager, double Optimized,
    double OrtCnnGen, double OrtFixed, double OrtTorch, double OrtCnnGenRatio, double OrtFixedRatio);
