using CnnGen.Samples.Distributed;
using Xunit.Abstractions;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// samples/Distributed end to end, two epochs: torchrun starts two processes that train the exported LeNet-5 with
/// DistributedDataParallel on gloo (Debian's python3-torch), rank 0 writes a checkpoint per epoch, and the C# class
/// loads the last one strictly by name and gets exactly Python's count of correct test images, image for image.
/// It runs in the serial collection, after the parallel tests: in one CI run, started beside them (every core busy with
/// torchvision writing reference outputs and with TorchSharp tests), torchrun had not exited 3 minutes after rank 0's
/// last line; whether slow or stuck is unknown, so a timeout now lists the processes still running.
/// </summary>
[Collection(nameof(SerialCollection))]
public sealed class DistributedSampleTests(ITestOutputHelper log)
{
    [Fact]
    public void Two_DDP_processes_train_LeNet5_and_the_CSharp_class_gets_their_test_accuracy_from_the_checkpoint()
    {
        var folder = Directory.CreateTempSubdirectory("cnngen-distributed-").FullName;
        var output = new StringWriter();
        try
        {
            var root = ReferenceData.RepositoryRoot;
            var files = new SampleFiles(Path.Combine(root, "samples", "data", "digits.csv.gz"),
                Path.Combine(root, "architectures", "lenet5.cnn.yaml"), Path.Combine(root, "samples", "Distributed", "train_ddp.py"));
            var outcome = DistributedTraining.Run(files, folder, epochs: 2, processes: 2, DistributedTraining.DefaultPython, output, TimeSpan.FromMinutes(8));
            var python = outcome.Python;

            // Both processes ran, each on its own half of the training images (DistributedSampler pads 1,437 to 2 x 719),
            // ceil(719 / 16) = 45 steps an epoch, and DDP kept their weights identical.
            Assert.Equal(2, python.WorldSize);
            Assert.Equal("gloo", python.Backend);
            Assert.Equal(new[] { 0, 1 }, python.Ranks.Select(rank => rank.Rank));
            Assert.Equal(2, python.Ranks.Select(rank => rank.Pid).Distinct().Count());
            Assert.All(python.Ranks, rank => Assert.Equal((1437, 719, 2 * 45), (python.TrainCount, rank.Shard, rank.Steps)));
            Assert.True(outcome.ReplicasIdentical, "the ranks ended with different weights");

            // A checkpoint per epoch; the C# class read the last.
            Assert.Equal(new[] { 1, 2 }, python.Epochs.Select(epoch => epoch.Epoch));
            Assert.All(python.Epochs, epoch => Assert.True(File.Exists(epoch.Checkpoint), $"no checkpoint {epoch.Checkpoint}"));
            Assert.Equal(python.Epochs[^1].Checkpoint, python.Checkpoint);

            // The same test images, the same count right, the same prediction for every image, logits within float noise.
            Assert.Equal(360, outcome.TestCount);
            Assert.Equal(360, python.Predictions.Count);
            Assert.Equal(python.TestCorrect, outcome.CSharpCorrect);
            Assert.Equal(0, outcome.DifferingPredictions);
            Assert.True(outcome.MaxLogitDifference <= 1e-4 * outcome.MaxLogit, $"logits differ by {outcome.MaxLogitDifference:G3} (largest {outcome.MaxLogit:G3})");
            // Far above chance (10%): two epochs reach about 89%.
            Assert.True(outcome.CSharpAccuracy >= 0.5, $"test accuracy {outcome.CSharpAccuracy:P1} after two epochs");
            output.WriteLine($"Python {python.TestCorrect}/360, C# {outcome.CSharpCorrect}/360, {outcome.DifferingPredictions} predictions differ, "
                + $"max logit difference {outcome.MaxLogitDifference:G2}; {outcome.Elapsed.TotalSeconds:F1} s");
        }
        finally
        {
            log.WriteLine(output.ToString());
            Directory.Delete(folder, recursive: true);
        }
    }

    [Fact]
    public void A_timed_out_launch_can_say_which_processes_still_run()
    {
        using var child = System.Diagnostics.Process.Start("sleep", "30");
        try
        {
            var tree = ProcessTree.Describe(Environment.ProcessId);
            Assert.Contains($"pid {Environment.ProcessId} state ", tree);
            Assert.Contains($"pid {child.Id} state ", tree);
            Assert.Contains("sleep 30", tree);
        }
        finally
        {
            child.Kill();
        }
    }
}
