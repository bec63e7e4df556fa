// Transfer learning: LeNet-5 (generated from architectures/lenet5.cnn.yaml) learns digits 0-4 of the UCI digits in
// samples/data and saves its weights; then digits 5-9 are learnt from a handful of images per class, once by a
// network that loads those weights, replaces its head and trains only the head over a frozen backbone, once by
// such a network with only its convolutions frozen, and once by the same network trained whole from scratch.
// All are measured on the held-out test images of 5-9.
//
//   dotnet run --project samples/Transfer -- [--out transfer-output]
using System.Diagnostics;
using CnnGen.Samples.Transfer;
using Spectre.Console;
using static TorchSharp.torch;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var outputFolder = Option("--out") ?? "transfer-output";
Directory.CreateDirectory(outputFolder);
set_num_threads(2);

int[] perClassCounts = [1, 2, 5, 10];
long[] seeds = [1, 2, 3, 4, 5];

var clock = Stopwatch.StartNew();
// The test images are never trained on, by either task.
var (pretrainTask, newTaskPool, newTaskTest) = DigitTasks.Load(Path.Combine(AppContext.BaseDirectory, "data", "digits.csv.gz"));
Console.WriteLine($"pretraining on digits 0-4: {pretrainTask.Labels.shape[0]} images; digits 5-9: a few of {newTaskPool.Labels.shape[0]} training images per run, "
    + $"{newTaskTest.Labels.shape[0]} test images");

var weights = Path.Combine(outputFolder, "lenet5-digits-0-4.safetensors");
var results = new List<FewShotResult>();
AnsiConsole.Progress()
    .Columns(new TaskDescriptionColumn(), new ProgressBarColumn(), new PercentageColumn(), new ElapsedTimeColumn())
    .Start(context =>
    {
        var pretraining = context.AddTask("pretraining on 0-4", maxValue: TransferLearning.PretrainEpochs);
        var fewShot = context.AddTask("5-9 from few images", maxValue: perClassCounts.Length * seeds.Length * Enum.GetValues<Learning>().Length * TransferLearning.FineTuneSteps, autoStart: false);
        TransferLearning.Pretrain(pretrainTask, weights, () => pretraining.Increment(1));
        fewShot.StartTask();
        foreach (var perClass in perClassCounts)
        {
            fewShot.Description = $"5-9 from {perClass,2} per class";
            results.Add(FewShotComparison.Run(weights, newTaskPool, newTaskTest, perClass, seeds, () => fewShot.Increment(1)));
        }
        fewShot.Description = "5-9 from few images";
    });

var table = new Table().Title($"test accuracy on digits 5-9, mean of {seeds.Length} seeds").AddColumn("images per class");
foreach (var learning in Enum.GetValues<Learning>()) table.AddColumn(new TableColumn(TransferPlot.Names[learning]).RightAligned());
foreach (var result in results)
    table.AddRow([$"{result.PerClass}", .. Enum.GetValues<Learning>().Select(learning => $"{result.Mean(learning):P1}")]);
AnsiConsole.Write(table);

var plot = Path.Combine(outputFolder, "transfer.png");
TransferPlot.Save(plot, results);
Console.WriteLine($"pretrained weights: {weights}");
Console.WriteLine($"plot:               {plot}");
Console.WriteLine($"done in {clock.Elapsed.TotalSeconds:F1} s");
