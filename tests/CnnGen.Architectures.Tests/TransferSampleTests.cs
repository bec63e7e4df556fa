using CnnGen.Runtime.Weights;
using CnnGen.Samples.Training;
using CnnGen.Samples.Transfer;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>The sample's LeNet-5 pretrained on digits 0-4 (its settings and seed) and its images of 5-9, made once for the tests.</summary>
public sealed class PretrainedDigits : IDisposable
{
    public PretrainedDigits()
    {
        var (pretraining, pool, _) = DigitTasks.Load(Path.Combine(ReferenceData.RepositoryRoot, "samples", "data", "digits.csv.gz"));
        TransferLearning.Pretrain(pretraining, WeightsPath);
        Pool = pool;
    }

    /// <summary>The training images of digits 5-9, to draw the few from.</summary>
    public Digits Pool { get; }

    public string WeightsPath { get; } = Path.Combine(Path.GetTempPath(), $"cnngen-transfer-{Guid.NewGuid():N}.safetensors");

    public void Dispose() => File.Delete(WeightsPath);
}

/// <summary>
/// samples/Transfer transfers what it says: a transferred network learns in its unfrozen layers only, every frozen
/// tensor stays bitwise the pretrained file's, and its head starts new. No accuracy is asserted: with these digits
/// the pretrained weights do not beat random frozen ones (samples/Transfer/README.md), so an accuracy claim would
/// not test the transfer. Serial: the runs are seeded with manual_seed, and the generator it seeds is
/// process-wide, drawn from by tests running in parallel.
/// </summary>
[Collection(nameof(SerialCollection))]
public class TransferSampleTests(PretrainedDigits digits) : IClassFixture<PretrainedDigits>
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
}
