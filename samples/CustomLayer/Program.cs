// A layer written in C#: Cbam.cs is a TorchSharp module with [CnnLayer("cbam", ...)], and
// cbam_resnet.cnn.yaml uses it in every residual block of a small ResNet. The generator checked each
// use and counted its parameters at build time; the generated constructor checks the count against
// the real module. This prints what the build worked out, runs the network, checks that a forward
// leaves no tensor behind, and trains it for a few epochs on the digits in samples/data.
//
//   dotnet run --project samples/CustomLayer [-- --epochs 5]
using System.Diagnostics;
using CnnGen.Samples.CustomLayer;
using CnnGen.Samples.Training;
using TorchSharp;
using static TorchSharp.torch;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var epochs = int.Parse(Option("--epochs") ?? "5");
manual_seed(2018);
// One thread: this network is small, and on a busy machine two OpenMP threads spend their time waiting
// for each other (measured here with other jobs running: 96 s with two threads, 13 s with one).
set_num_threads(1);
var clock = Stopwatch.StartNew();

// What the generator knows at compile time: constants and the layer table of the generated class.
Console.WriteLine(CbamResNet.Summary());
Console.WriteLine($"input {string.Join("x", CbamResNet.InputShape)}, output {string.Join("x", CbamResNet.OutputShape)}; "
    + $"ParameterCount {CbamResNet.ParameterCount:N0} (asserted at build time: {CbamResNet.PublishedParameterCount:N0}, {CbamResNet.PublishedSource})");

// The constructor builds each Cbam through CustomLayers.CheckParameterCount: a rule that differs from
// the module would throw here, naming the type and both counts.
using var model = new CbamResNet(numClasses: 10);
var cbamCounts = model.named_modules().Where(m => m.module is Cbam)
    .Select(m => $"{m.name} {m.module.parameters().Sum(p => p.numel()):N0}");
Console.WriteLine($"TorchSharp counts {model.parameters().Sum(p => p.numel()):N0} parameters; the Cbam modules: {string.Join(", ", cbamCounts)}");

// A forward on a random batch, counting the tensors alive (TorchSharp's per-thread statistics) before
// it and after its output is disposed: the same number means the forward left nothing behind.
static long Live() => DisposeScopeManager.Statistics.ThreadTotalLiveCount;
{
    model.eval();
    using var noGrad = no_grad();
    using var batch = randn(8, 1, 16, 16);
    var before = Live();
    using (var output = model.forward(batch))
        Console.WriteLine($"forward [{string.Join(", ", batch.shape)}] -> [{string.Join(", ", output.shape)}]");
    Console.WriteLine($"live tensors before the network's forward {before}, after {Live()}");

    using var cbam = new Cbam(16, reduction: 4, kernel: 7);
    using var map = randn(8, 16, 16, 16);
    before = Live();
    using (var refined = cbam.forward(map))
        Console.WriteLine($"Cbam forward [{string.Join(", ", map.shape)}] -> [{string.Join(", ", refined.shape)}]");
    Console.WriteLine($"live tensors before a Cbam forward {before}, after {Live()}");
}

// A few epochs on the UCI digits: the loader repeats each 8x8 pixel 4x4 times (32x32, LeNet-5's size);
// averaging 2x2 windows gives the same images at 16x16, which keeps training to seconds.
var digits = Digits.Load(Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz"));
var data = digits with { Images = nn.functional.avg_pool2d(digits.Images, 2) };
var (train, test) = data.Split(testCount: 360, seed: 0);
var optimizer = optim.Adam(model.parameters(), lr: 2e-3);
const int batchSize = 64;
double Accuracy(Digits set)
{
    model.eval();
    using var scope = NewDisposeScope();
    using var noGrad = no_grad();
    return model.forward(set.Images).argmax(1).eq(set.Labels).to(ScalarType.Float32).mean().item<float>();
}
// Accuracy is measured in eval mode, with the batch norms' running statistics; after the first epoch
// they still lag behind weights that change fast, so that epoch's number is low.
var count = train.Labels.shape[0];
for (var epoch = 1; epoch <= epochs; epoch++)
{
    model.train();
    using var epochScope = NewDisposeScope();
    var order = randperm(count);
    double total = 0;
    var batches = 0;
    for (long start = 0; start < count; start += batchSize)
    {
        using var scope = NewDisposeScope();
        var index = order.narrow(0, start, Math.Min(batchSize, count - start));
        optimizer.zero_grad();
        var loss = nn.functional.cross_entropy(model.forward(train.Images.index_select(0, index)), train.Labels.index_select(0, index));
        loss.backward();
        optimizer.step();
        total += loss.item<float>();
        batches++;
    }
    Console.WriteLine($"epoch {epoch}: loss {total / batches:F3}, test accuracy {Accuracy(test):P1} ({clock.Elapsed.TotalSeconds:F1} s)");
}

// The inference form folds the network's batch norms into its convolutions and turns every convolution,
// the Cbam modules' too, and the input channels-last; Cbam's forward works on either layout.
{
    using var scope = NewDisposeScope();
    using var noGrad = no_grad();
    model.eval();
    var eval = model.forward(test.Images);
    model.ToInference();
    var folded = model.forward(test.Images);
    Console.WriteLine($"inference form: largest difference to eval {(folded - eval).abs().max().item<float>():E1} "
        + $"(largest logit {eval.abs().max().item<float>():F1})");
}
Console.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s");
