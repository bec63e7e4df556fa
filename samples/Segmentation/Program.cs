// Segmentation: a small U-Net (generated from small_unet.cnn.yaml, its decoder reading the encoder's outputs by name)
// learns to tell discs from squares on noisy synthetic images made in code; reports the mean IoU on held-out images and
// writes a picture of inputs, true masks and predictions.
//
//   dotnet run --project samples/Segmentation -- [--epochs 6] [--train 1200] [--size 48] [--out segmentation-output]
using System.Diagnostics;
using CnnGen.Runtime.Weights;
using CnnGen.Samples.Segmentation;
using Spectre.Console;
using static TorchSharp.torch;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var epochs = int.Parse(Option("--epochs") ?? "6");
var trainCount = int.Parse(Option("--train") ?? "1200");
// The U-Net takes any height and width divisible by 8 (three poolings): the class is generated for 64x64, trained here at 48x48.
var size = int.Parse(Option("--size") ?? "48");
var outputFolder = Option("--out") ?? "segmentation-output";
Directory.CreateDirectory(outputFolder);
manual_seed(2015);
set_num_threads(Math.Max(2, Environment.ProcessorCount));

var clock = Stopwatch.StartNew();
var train = Shapes.Make(trainCount, size, seed: 1);
var test = Shapes.Make(200, size, seed: 2);
Console.WriteLine($"synthetic shapes: {train.Count} training and {test.Count} held-out {size}x{size} images, classes {string.Join(", ", Shapes.ClassNames)}");

using var model = new SmallUNet(numClasses: Shapes.Classes);
Console.WriteLine($"{nameof(SmallUNet)}: {SmallUNet.ParameterCount:N0} parameters, input {string.Join("x", SmallUNet.InputShape)}, output {string.Join("x", SmallUNet.OutputShape)}");
var optimizer = optim.Adam(model.parameters(), lr: 3e-3);
const int batchSize = 16;

Tensor Predict(Tensor images)
{
    model.eval();
    using var noGrad = no_grad();
    var predictions = new List<Tensor>();
    for (long start = 0; start < images.shape[0]; start += 50)
        predictions.Add(model.forward(images.narrow(0, start, Math.Min(50, images.shape[0] - start))).argmax(1));
    return cat(predictions, 0);
}

double meanIoU = 0;
AnsiConsole.Progress()
    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new RemainingTimeColumn())
    .Start(context =>
    {
        var task = context.AddTask("training", maxValue: epochs * (int)Math.Ceiling(train.Count / (double)batchSize));
        for (var epoch = 1; epoch <= epochs; epoch++)
        {
            model.train();
            var order = randperm(train.Count);
            double total = 0;
            var batches = 0;
            for (long start = 0; start < train.Count; start += batchSize)
            {
                using var scope = NewDisposeScope();
                var index = order.narrow(0, start, Math.Min(batchSize, train.Count - start));
                optimizer.zero_grad();
                var loss = nn.functional.cross_entropy(model.forward(train.Images.index_select(0, index)), train.Masks.index_select(0, index));
                loss.backward();
                optimizer.step();
                total += loss.item<float>();
                batches++;
                task.Increment(1);
            }
            using (NewDisposeScope())
                meanIoU = MeanIoU.Mean(MeanIoU.PerClass(Predict(test.Images), test.Masks, Shapes.Classes));
            task.Description = $"epoch {epoch}: loss {total / batches:F3}, held-out mean IoU {meanIoU:P1}";
        }
    });

using (NewDisposeScope())
{
    var predicted = Predict(test.Images);
    var perClass = MeanIoU.PerClass(predicted, test.Masks, Shapes.Classes);
    Console.WriteLine($"held-out IoU: {string.Join(", ", perClass.Select((iou, c) => $"{Shapes.ClassNames[c]} {iou:P1}"))}; mean {MeanIoU.Mean(perClass):P1}");
    var picture = Path.Combine(outputFolder, "segmentation.png");
    Picture.Save(picture, test.Images, test.Masks, predicted, rows: 6);
    Console.WriteLine($"picture: {picture} (input, true mask, prediction)");
}
var weights = Path.Combine(outputFolder, "small-unet-shapes.safetensors");
model.SaveSafetensors(weights);
Console.WriteLine($"weights: {weights}");
Console.WriteLine($"{epochs} epochs in {clock.Elapsed.TotalSeconds:F0} s");
return meanIoU >= 0.8 ? 0 : 1;
