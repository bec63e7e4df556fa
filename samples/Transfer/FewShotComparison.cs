using CnnGen.Samples.Training;

namespace CnnGen.Samples.Transfer;

/// <summary>How the network learns the new task.</summary>
public enum Learning
{
    /// <summary>Pretrained weights, a new head, everything before it frozen (<c>Freeze()</c>): only the head learns.</summary>
    HeadOnly,

    /// <summary>Pretrained weights, a new head, the convolutions frozen (<c>Freeze(upTo: "c3")</c>): the fully connected layers learn.</summary>
    ConvolutionsFrozen,

    /// <summary>Random initial weights, every layer learns.</summary>
    FromScratch,
}

/// <summary>Test accuracies of every way of learning the new task from <see cref="PerClass"/> images a class, one per seed.</summary>
public sealed record FewShotResult(int PerClass, IReadOnlyDictionary<Learning, IReadOnlyList<double>> Accuracies)
{
    public double Mean(Learning learning) => Accuracies[learning].Average();
}

/// <summary>
/// The sample's experiment: for each seed, the same few images of every class train a network each way, and
/// each is measured on the held-out test images.
/// </summary>
public static class FewShotComparison
{
    public static FewShotResult Run(string pretrainedWeights, Digits pool, Digits test, int perClass, IReadOnlyList<long> seeds, Action? stepDone = null)
    {
        var accuracies = Enum.GetValues<Learning>().ToDictionary(learning => learning, _ => new List<double>());
        foreach (var seed in seeds)
        {
            var few = DigitTasks.FewPerClass(pool, perClass, seed);
            foreach (var (learning, results) in accuracies)
            {
                using var model = learning switch
                {
                    Learning.HeadOnly => TransferLearning.Transferred(pretrainedWeights, seed),
                    Learning.ConvolutionsFrozen => TransferLearning.Transferred(pretrainedWeights, seed, frozenUpTo: "c3"),
                    _ => TransferLearning.FromScratch(seed),
                };
                TransferLearning.FineTune(model, few, stepDone);
                results.Add(TransferLearning.Accuracy(model, test));
            }
            few.Images.Dispose();
            few.Labels.Dispose();
        }
        return new FewShotResult(perClass, accuracies.ToDictionary(pair => pair.Key, pair => (IReadOnlyList<double>)pair.Value));
    }
}
