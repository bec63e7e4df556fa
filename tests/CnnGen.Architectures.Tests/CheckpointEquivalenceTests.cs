using CnnGen.Runtime.Weights;
using Xunit.Abstractions;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// Published weights come as torch.save files: the torchvision reference weights saved by Debian's torch in the
/// zip and legacy formats, wrapped in a checkpoint dict and with DataParallel's <c>module.</c> prefix
/// (tests/fixtures/torchvision/make_pth_variants.py) load strictly through LoadWeights and give torchvision's output.
/// </summary>
public class CheckpointEquivalenceTests(ITestOutputHelper output)
{
    public static TheoryData<string, string> Cases()
    {
        var data = new TheoryData<string, string>();
        foreach (var name in new[] { "ResNet18", "DenseNet121", "InceptionV3", "MobileNetV2", "EfficientNetB0", "ConvNeXtTiny" })
            foreach (var file in new[] { "zip", "legacy", "wrapped", "module" })
                data.Add(name, file);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_torch_save_file_gives_torchvisions_output(string name, string file)
    {
        var key = Zoo.TorchvisionKey[name]!;
        using var model = Zoo.Get(name).Create();
        var report = model.LoadWeights(Path.Combine(ReferenceData.GetPthVariants(key), file + ".pth"));
        Assert.False(report.HasProblems, report.ToString());
        Assert.Equal(model.state_dict().Count, report.LoadedKeys.Count);

        EvalOutput.AssertMatches(output, $"{name} from {file}.pth", model, Path.Combine(ReferenceData.Get(key), "io.safetensors"));
    }
}
