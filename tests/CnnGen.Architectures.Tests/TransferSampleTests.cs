using CnnGen.Runtime.Weights;
using CnnGen.Samples.Training;
using CnnGen.Samples.Transfer;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>The sample's digits and its LeNet-5 pretrained on 0-4 (the sample's settings and seed), made once for the tests.</summary>
public sealed class PretrainedDigits : IDisposable
{
    public PretrainedDigits()
    {
        (Pretraining, Pool, Test) = DigitTasks.Load(Path.Combine(ReferenceData.RepositoryRoot, "samples", "data", "digits.csv.gz"));
        TransferLearning.Pretrain(Pretraining, WeightsPath);
    }

    public Digits Pretraining { get; }

    public Digits Pool { get; }

    public Digits Test { get; }

    public string WeightsPath { get; } = Path.Combine(Path.GetTempPath(), $"cnngen-transfer-{Guid.NewGuid():N}.safetensors");

    public void Dispose() => File.Delete(WeightsPath);
}

/// <summary>
/// samples/Transfer does what its README says: a transferred network learns in its unfrozen layers only, every
/// frozen tensor stays bitwise the pretrained file's, its head starts new, and with five images per class the
/// pretrained convolutions beat training from scratch on the held-out digits 5-9. Serial: the runs are seeded with
/// manual_seed, and the generator it seeds is process-wide, drawn from by tests running in parallel.
/// </summary>
[Collection(nameof(SerialCollection))]
public class TransferSampleTests(PretrainedDigits digits, ITestOutputHelper output) : IClassFixture<PretrainedDigits>
{
    [Theory]
    [InlineData(null, new[] { "output." })]
    [InlineData("c3", new[] { "c5.", "f6.", "output." })]
    public void A_transferred_network_trains_only_after_its_frozen_layers(string? frozenUpTo, string[] learning)
    {
        using var file = SafetensorsFile.Open(digits.WeightsPath);
        using var model = TransferLearning.Transferred(digits.WeightsPath, seed: 1, frozenUpTo);
        bool Learns(string key) => learning.Any(prefix => key.StartsWith(prefix, StringComparison.Ordinal));
        // The head starts new (ResetClassifier), not as the pretrained one.
        Assert.All(model.state_dict().Where(pair => pair.Key.StartsWith("output.", StringComparison.Ordinal)),
            pair => Assert.False(pair.Value.equal(file.ReadTensor(pair.Key)).all().item<bool>(), $"{pair.Key} is still the pretrained head"));
        var before = model.state_dict().ToDictionary(pair => pair.Key, pair => pair.Value.detach().clone());

        var few = DigitTasks.FewPerClass(digits.Pool, perClass: 5, seed: 1);
        TransferLearning.FineTune(model, few);

        var state = model.state_dict();
        Assert.Contains(state.Keys, key => !Learns(key));
        foreach (var (key, tensor) in state)
        {
            if (Learns(key)) Assert.False(tensor.equal(before[key]).all().item<bool>(), $"{key} did not move");
            else Assert.True(tensor.equal(file.ReadTensor(key)).all().item<bool>(), $"{key} is frozen but differs from the pretrained file");
        }
    }

    [Fact]
    public void With_five_images_per_class_the_pretrained_convolutions_beat_training_from_scratch()
    {
        var result = FewShotComparison.Run(digits.WeightsPath, digits.Pool, digits.Test, perClass: 5, seeds: [1, 2, 3, 4, 5]);
        foreach (var (learning, accuracies) in result.Accuracies)
            output.WriteLine($"{learning}: mean {result.Mean(learning):P1} ({string.Join(", ", accuracies.Select(a => a.ToString("P1")))})");
        Assert.True(result.Mean(Learning.ConvolutionsFrozen) > result.Mean(Learning.FromScratch),
            $"transferred with frozen convolutions {result.Mean(Learning.ConvolutionsFrozen):P1} does not beat from scratch {result.Mean(Learning.FromScratch):P1}");
    }
}
