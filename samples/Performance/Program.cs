// Performance: the generated ResNet-50, its inference form (ToInference: batch norm folded, channels-
// last) and a hand-written TorchSharp ResNet-50 with the same weights, measured side by side in one
// process (medians of interleaved rounds, so machine noise hits all three alike), plus PyTorch when
// Debian's torchvision is installed.
//
//   dotnet run -c Release --project samples/Performance -- [--batches 1,8,32] [--rounds 7] [--memory]
using System.Diagnostics;
using System.Globalization;
using CnnGen.Architectures;
using CnnGen.Runtime.Weights;
using CnnGen.Samples.Performance;
using static TorchSharp.torch;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var batches = (Option("--batches") ?? "1,8,32").Split(',').Select(int.Parse).ToArray();
var rounds = int.Parse(Option("--rounds") ?? "7", CultureInfo.InvariantCulture);
set_num_threads(2);
manual_seed(0);

// One set of weights for all three: saved from the generated network, loaded into the others by name.
var weights = Path.Combine(Path.GetTempPath(), "cnngen-resnet50-bench.safetensors");
using var generated = new ResNet50();
generated.SaveSafetensors(weights);
using var inference = new ResNet50();
inference.LoadSafetensors(weights);
using var handWritten = new HandWrittenResNet50();
handWritten.LoadSafetensors(weights);
generated.eval();
handWritten.eval();
inference.ToInference();

if (args.Contains("--memory"))
{
    MemoryCheck.Run(generated);
    return 0;
}

Console.WriteLine($"ResNet-50, eval, no_grad, {get_num_threads()} threads; median of {rounds} interleaved rounds");
Console.WriteLine($"{"batch",5} {"hand-written",13} {"generated",10} {"inference",10} {"gen/hand",9} {"inf/hand",9}");
foreach (var batch in batches)
{
    var input = randn(batch, 3, 224, 224);
    var candidates = new (string Name, Func<Tensor, Tensor> Forward)[]
    {
        ("hand-written", x => handWritten.forward(x)),
        ("generated", x => generated.forward(x)),
        ("inference", x => inference.forward(x)),
    };
    var times = candidates.ToDictionary(c => c.Name, _ => new List<double>());
    var iterations = batch >= 32 ? 1 : batch >= 8 ? 2 : 8;
    using (no_grad())
    {
        foreach (var (_, forward) in candidates) Measure(forward, input, 1); // warm-up
        for (var round = 0; round < rounds; round++)
            foreach (var (name, forward) in candidates)
                times[name].Add(Measure(forward, input, iterations));
    }
    double Rate(string name) => batch / Median(times[name]);
    Console.WriteLine($"{batch,5} {Rate("hand-written"),10:F1}/s {Rate("generated"),7:F1}/s {Rate("inference"),7:F1}/s {Rate("generated") / Rate("hand-written"),8:F2}x {Rate("inference") / Rate("hand-written"),8:F2}x");
    input.Dispose();
}
PyTorch.Compare(batches);
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
