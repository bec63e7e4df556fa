// Training: LeNet-5 (generated from architectures/lenet5.cnn.yaml) on the UCI handwritten digits in
// samples/data, with a progress bar; saves the weights as safetensors and a loss/accuracy plot as PNG.
//
//   dotnet run --project samples/Training -- [--epochs 20] [--out training-output]
using System.Diagnostics;
using CnnGen.Architectures;
using CnnGen.Runtime.Weights;
using CnnGen.Samples.Training;
using Spectre.Console;
using static TorchSharp.torch;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var epochs = int.Parse(Option("--epochs") ?? "20");
var outputFolder = Option("--out") ?? "training-output";
Directory.CreateDirectory(outputFolder);
manual_seed(1998);
set_num_threads(2);

var clock = Stopwatch.StartNew();
var data = Digits.Load(Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz"));
var (train, test) = data.Split(testCount: 360, seed: 0);
Console.WriteLine($"UCI digits: {train.Labels.shape[0]} training and {test.Labels.shape[0]} test images, upsampled to 32x32");

using var model = new LeNet5(numClasses: 10);
var optimizer = optim.Adam(model.parameters(), lr: 2e-3);
const int batchSize = 32;
var losses = new List<double>();
var accuracies = new List<double>();

double Accuracy(Digits set)
{
    model.eval();
    using var scope = NewDisposeScope();
    using var noGrad = no_grad();
    var predicted = model.forward(set.Images).argmax(1);
    return predicted.eq(set.Labels).to(ScalarType.Float32).mean().item<float>();
}

AnsiConsole.Progress()
    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
    .Start(context =>
    {
        var task = context.AddTask("training", maxValue: epochs);
        var count = train.Labels.shape[0];
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            model.train();
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
            losses.Add(total / batches);
            accuracies.Add(Accuracy(test));
            task.Description = $"epoch {epoch,2}: loss {losses[^1]:F3}, test accuracy {accuracies[^1]:P1}";
            task.Increment(1);
        }
    });

var weights = Path.Combine(outputFolder, "lenet5-digits.safetensors");
model.SaveSafetensors(weights);
var plot = Path.Combine(outputFolder, "training.png");
TrainingPlot.Save(plot, losses, accuracies);
Console.WriteLine($"test accuracy {accuracies[^1]:P2} after {epochs} epochs in {clock.Elapsed.TotalSeconds:F1} s");
Console.WriteLine($"weights: {weights}");
Console.WriteLine($"plot:    {plot}");
return accuracies[^1] >= 0.95 ? 0 : 1;
