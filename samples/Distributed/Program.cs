// Distributed: PyTorch trains the exported LeNet-5 with DistributedDataParallel (torchrun, gloo, two processes) on the
// UCI digits in samples/data; the generated C# class loads its last safetensors checkpoint and classifies the same
// test images. Both accuracies side by side, and how many of the test images' predictions differ.
//
//   dotnet run --project samples/Distributed -- [--epochs 10] [--processes 2] [--python /usr/bin/python3] [--out distributed-output]
using CnnGen.Samples.Distributed;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var epochs = int.Parse(Option("--epochs") ?? "10");
var processes = int.Parse(Option("--processes") ?? "2");
var python = Option("--python") ?? DistributedTraining.DefaultPython;
var outputFolder = Path.GetFullPath(Option("--out") ?? "distributed-output");
TorchSharp.torch.set_num_threads(2);

var here = AppContext.BaseDirectory;
var files = new SampleFiles(Path.Combine(here, "data", "digits.csv.gz"), Path.Combine(here, "lenet5.cnn.yaml"), Path.Combine(here, "train_ddp.py"));
DistributedOutcome outcome;
try
{
    outcome = DistributedTraining.Run(files, outputFolder, epochs, processes, python, Console.Out);
}
catch (TorchMissingException missing)
{
    Console.Error.WriteLine(missing.Message);
    return 2;
}

var result = outcome.Python;
Console.WriteLine();
Console.WriteLine($"{result.WorldSize} processes on {result.Backend} (torch {result.Torch}): " + string.Join(", ",
    result.Ranks.Select(rank => $"rank {rank.Rank} (pid {rank.Pid}) {rank.Shard} images per epoch in {rank.Steps / result.Epochs.Count} steps"))
    + (outcome.ReplicasIdentical ? "; the same weights on every rank" : "; THE RANKS' WEIGHTS DIFFER"));
Console.WriteLine($"checkpoint after epoch {result.Epochs[^1].Epoch}: {result.Checkpoint}");
Console.WriteLine();
Console.WriteLine($"{"",-28} {"correct",9} {"accuracy",9}");
Console.WriteLine($"{"PyTorch, DDP (rank 0)",-28} {result.TestCorrect,5}/{outcome.TestCount} {outcome.PythonAccuracy,9:P2}");
Console.WriteLine($"{"C# LeNet5, same checkpoint",-28} {outcome.CSharpCorrect,5}/{outcome.TestCount} {outcome.CSharpAccuracy,9:P2}");
Console.WriteLine($"test images whose prediction differs: {outcome.DifferingPredictions} of {outcome.TestCount}; "
    + $"largest logit difference {outcome.MaxLogitDifference:G2} (largest |logit| {outcome.MaxLogit:F1})");
Console.WriteLine($"{result.Epochs.Count} epochs: Python {result.Seconds:F1} s on rank 0 (data, training, checkpoints), {outcome.Elapsed.TotalSeconds:F1} s in all");
return outcome.CSharpCorrect == result.TestCorrect && outcome.DifferingPredictions == 0 && outcome.ReplicasIdentical ? 0 : 1;
