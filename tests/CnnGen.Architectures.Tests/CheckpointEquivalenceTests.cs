using CnnGen.Runtime.Weights;
using Xunit.Abstractions;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// Published weights come as torch.save files: the torchvision reference weights saved by Debian's torch in the
/// zip and legacy formats, wrapped in a checkpoint dict and with DataParallel's <c>module.</c> prefix
/// (tests/fixtures/torchvision/make_pth_variants.py) load through the one-argument <c>LoadWeights(path)</c>, the
/// call people write first, and give torchvision's output.
/// </summary>
public class CheckpointEquivalenceTests(ITestOutputHelper output)
{
    /// <summary>
    /// The torchvision reference whose file a class loads: torchvision builds GoogLeNet and Inception-v3 with their
    /// aux heads, and its published files carry them (aux1.*, aux2.*, AuxLogits.*), so the classes without them
    /// load the aux references' files; their eval output is the same network's.
    /// </summary>
    private static string FileKey(string name) => name switch
    {
        "GoogLeNet" => "googlenet_aux",
        "InceptionV3" => "inception_v3_aux",
        _ => Zoo.TorchvisionKey[name]!,
    };

    /// <summary>The aux-head prefixes a class lacks but its torchvision file carries.</summary>
    private static string[] DroppedPrefixes(string name) => name switch
    {
        "GoogLeNet" => new[] { "aux1.", "aux2." },
        "InceptionV3" => new[] { "AuxLogits." },
        _ => Array.Empty<string>(),
    };

    /// <summary>
    /// The classes whose test loads the legacy, wrapped and module.-prefixed forms too, every other class the zip form
    /// (torchvision's published files are zip files since PyTorch 1.6). Reading a format does not depend on the network,
    /// and GoogLeNet and Inception-v3 carry the aux heads the call drops; all four forms of every class took 18 GB of
    /// cache and most of this test's first-run time (VGG's four files alone are 2 GB).
    /// </summary>
    private static readonly ISet<string> EveryForm = new HashSet<string>
    {
        "ResNet18", "DenseNet121", "GoogLeNet", "InceptionV3", "MobileNetV2", "EfficientNetB0", "ConvNeXtTiny",
    };

    /// <summary>Every zoo class torchvision has.</summary>
    public static TheoryData<string> Classes()
    {
        var data = new TheoryData<string>();
        foreach (var (name, key) in Zoo.TorchvisionKey.OrderBy(pair => pair.Key, StringComparer.Ordinal))
            if (key is not null) data.Add(name);
        return data;
    }

    /// <summary>
    /// The class's torchvision file in zip form (and legacy, wrapped and module.-prefixed for <see cref="EveryForm"/>),
    /// each loaded with the one-argument call into one instance: the first gives torchvision's eval output, and each
    /// later one, loaded over a network zeroed first, gives exactly the same tensors, so the same output (one forward
    /// per class, not per file, keeps 28 classes within a few minutes).
    /// </summary>
    [Theory]
    [MemberData(nameof(Classes))]
    public void A_torchvision_torch_save_file_loads_with_the_one_argument_call_and_gives_torchvisions_output(string name)
    {
        var key = FileKey(name);
        var forms = EveryForm.Contains(name) ? new[] { "zip", "legacy", "wrapped", "module" } : new[] { "zip" };
        var folder = ReferenceData.GetPthVariants(key, forms);
        using var model = Zoo.Get(name).CreateModule();
        var stateDict = model.state_dict();

        // What the call may leave out: exactly the file's aux heads the class lacks, every key of them reported.
        var prefixes = DroppedPrefixes(name);
        List<string> extra;
        using (var reference = SafetensorsFile.Open(Path.Combine(ReferenceData.Get(key), "weights.safetensors")))
            extra = reference.Entries.Select(entry => entry.Name).Where(k => !stateDict.ContainsKey(k)).Order(StringComparer.Ordinal).ToList();
        Assert.All(extra, k => Assert.Contains(prefixes, prefix => k.StartsWith(prefix, StringComparison.Ordinal)));
        Assert.Equal(prefixes.Length > 0, extra.Count > 0);

        Dictionary<string, TorchSharp.torch.Tensor>? first = null;
        try
        {
            foreach (var form in forms)
            {
                if (first is not null)
                    using (TorchSharp.torch.no_grad())
                        foreach (var tensor in stateDict.Values) tensor.zero_();

                var report = model.LoadWeights(Path.Combine(folder, form + ".pth"));

                var what = $"{name} from {key} {form}.pth";
                output.WriteLine($"{what}: {report}");
                Assert.False(report.HasProblems, $"{what}: {report}");
                Assert.Equal(stateDict.Count, report.LoadedKeys.Count);
                Assert.Equal(extra, report.SkippedKeys.Select(note => note.Key));
                Assert.All(report.SkippedKeys, note => Assert.Equal("aux head not in this class", note.Reason));
                if (first is null)
                {
                    EvalOutput.AssertMatches(output, what, model, Path.Combine(ReferenceData.Get(key), "io.safetensors"), Zoo.ReferenceOutputNames(name));
                    first = stateDict.ToDictionary(pair => pair.Key, pair => pair.Value.detach().clone());
                }
                else
                {
                    using var scope = TorchSharp.torch.NewDisposeScope();
                    foreach (var (tensorName, tensor) in stateDict)
                        Assert.True(tensor.eq(first[tensorName]).all().item<bool>(), $"{what}: {tensorName} differs from zip.pth's");
                }
            }
        }
        finally
        {
            if (first is not null)
                foreach (var tensor in first.Values) tensor.Dispose();
        }
    }
}
