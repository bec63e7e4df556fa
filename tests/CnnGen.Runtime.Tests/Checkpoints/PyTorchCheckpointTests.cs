using CnnGen.Runtime.Tests.Safetensors;
using CnnGen.Runtime.Weights;
using CnnGen.Runtime.Weights.Checkpoints;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests.Checkpoints;

/// <summary>
/// Files Debian's PyTorch wrote with torch.save (zip and legacy format; plain, wrapped, DataParallel-prefixed;
/// float32/64/16 and bfloat16; a transposed tensor and one at an offset into a larger storage) load through
/// <see cref="ModuleWeightsExtensions.LoadWeights"/> and reproduce every tensor exactly.
/// </summary>
[Collection(PythonCheckpointsCollection.Name)]
public sealed class PyTorchCheckpointTests(PythonCheckpoints python)
{
    public static TheoryData<string, string> Float32Variants()
    {
        var data = new TheoryData<string, string>();
        foreach (var variant in new[] { "plain", "wrapped_state_dict", "wrapped_model", "wrapped_ema", "prefixed", "wrapped_prefixed" })
            foreach (var format in new[] { "zip", "legacy" })
                data.Add(variant, format);
        return data;
    }

    [Theory]
    [MemberData(nameof(Float32Variants))]
    public void Float32Checkpoint_LoadsEveryTensorExactly(string variant, string format)
    {
        using var module = new TinyNet();
        var report = module.LoadWeights(python.PathOf($"{variant}_{format}.pt"));
        Assert.False(report.HasProblems, report.ToString());
        Assert.Equal(9, report.LoadedCount);
        CheckpointAssert.MatchesPython(module, python.Expected(variant));
    }

    [Theory]
    [InlineData("float64", "zip", ScalarType.Float64)]
    [InlineData("float64", "legacy", ScalarType.Float64)]
    [InlineData("float16", "zip", ScalarType.Float16)]
    [InlineData("float16", "legacy", ScalarType.Float16)]
    [InlineData("bfloat16", "zip", ScalarType.BFloat16)]
    [InlineData("bfloat16", "legacy", ScalarType.BFloat16)]
    // Half-precision checkpoints into a float32 module: converted exactly.
    [InlineData("float16", "zip", ScalarType.Float32)]
    [InlineData("bfloat16", "legacy", ScalarType.Float32)]
    public void OtherDtypes_LoadExactly(string variant, string format, ScalarType moduleDtype)
    {
        using var module = new TinyNet(dtype: moduleDtype);
        var report = module.LoadWeights(python.PathOf($"{variant}_{format}.pt"));
        Assert.False(report.HasProblems, report.ToString());
        CheckpointAssert.MatchesPython(module, python.Expected(variant));
    }

    [Fact]
    public void TheViewsAreWhatTheTestMeansToCover()
    {
        // The fixture's fc.weight is transposed and fc.bias sits at offset 5 of a 20-element storage, in both formats.
        foreach (var format in new[] { "zip", "legacy" })
        {
            using var checkpoint = TorchCheckpoint.Open(python.PathOf($"plain_{format}.pt"));
            var weight = checkpoint.Tensors["fc.weight"];
            Assert.Equal(new long[] { 3, 8 }, weight.Shape);
            Assert.Equal(new long[] { 1, 3 }, weight.Strides);
            var bias = checkpoint.Tensors["fc.bias"];
            Assert.Equal(5, bias.Offset);
            Assert.Equal(20, bias.Storage.Numel);
            Assert.Equal(SafetensorsDtype.I64, checkpoint.Tensors["layer1.0.bn.num_batches_tracked"].Storage.Dtype);
        }
    }

    [Fact]
    public void FormatIsToldByContentNotExtension()
    {
        Assert.Equal(WeightsFormat.TorchZip, WeightsFormats.Detect(python.PathOf("plain_zip.pt")));
        Assert.Equal(WeightsFormat.TorchLegacy, WeightsFormats.Detect(python.PathOf("plain_legacy.pt")));
        // A legacy file named .safetensors and a zip named .bin still load.
        var dir = Directory.CreateTempSubdirectory("cnngen-ckpt-").FullName;
        try
        {
            var misnamed = Path.Combine(dir, "weights.safetensors");
            File.Copy(python.PathOf("plain_legacy.pt"), misnamed);
            var zipAsBin = Path.Combine(dir, "pytorch_model.bin");
            File.Copy(python.PathOf("plain_zip.pt"), zipAsBin);
            foreach (var file in new[] { misnamed, zipAsBin })
            {
                using var module = new TinyNet();
                module.LoadWeights(file);
                CheckpointAssert.MatchesPython(module, python.Expected("plain"));
            }
            // And safetensors goes through LoadSafetensors, whatever the name.
            using var source = new TinyNet();
            source.LoadWeights(python.PathOf("plain_zip.pt"));
            var safetensors = Path.Combine(dir, "model.pt");
            source.SaveSafetensors(safetensors);
            Assert.Equal(WeightsFormat.Safetensors, WeightsFormats.Detect(safetensors));
            using var target = new TinyNet();
            Assert.Equal(9, target.LoadWeights(safetensors).LoadedCount);
            CheckpointAssert.MatchesPython(target, python.Expected("plain"));
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    [Fact]
    public void ZipTopFolderIsFoundWhateverItIsCalled()
    {
        using var module = new TinyNet();
        module.LoadWeights(python.PathOf("other-stem.pt"));
        CheckpointAssert.MatchesPython(module, python.Expected("plain"));
    }

    [Theory]
    [InlineData("zip")]
    [InlineData("legacy")]
    public void LoadedParameters_StillRequireGrad_AndTrain(string format)
    {
        // TorchSharp.PyBridge 1.4.4 leaves requires_grad off after load_py: fine-tuning would train nothing.
        using var module = new TinyNet();
        module.LoadWeights(python.PathOf($"plain_{format}.pt"));
        var parameters = module.named_parameters().ToList();
        Assert.Equal(6, parameters.Count); // conv1, bn and fc weights and biases
        foreach (var (name, parameter) in parameters)
            Assert.True(parameter.requires_grad, $"{name} lost requires_grad");

        using var before = module.fc.weight!.detach().clone();
        var optimizer = optim.SGD(module.parameters(), 0.1);
        using var input = rand(2, 3, 4, 4);
        using var x = module.conv1.forward(input);
        using var y = module.Bn.forward(x);
        using var pooled = y.mean(new long[] { 2, 3 });
        using var features = cat(new[] { pooled, pooled }, 1);
        using var output = module.fc.forward(features);
        using var loss = output.sum();
        loss.backward();
        optimizer.step();
        foreach (var (name, parameter) in parameters)
            Assert.True(parameter.grad is not null, $"{name} got no gradient");
        using var changed = module.fc.weight!.ne(before).any();
        Assert.True(changed.item<bool>(), "an SGD step after loading did not change fc.weight");
    }

    [Theory]
    [InlineData("zip")]
    [InlineData("legacy")]
    public void StrictMismatch_ThrowsTheLoadException_AndLeavesTheModuleUntouched(string format)
    {
        using var module = new TinyNet(classes: 5);
        module.Randomize(3);
        var before = module.Snapshot();
        var path = python.PathOf($"wrapped_prefixed_{format}.pt");
        var e = Assert.Throws<WeightsLoadException>(() => module.LoadWeights(path));
        Assert.Equal(path, e.Path);
        Assert.Equal(new[] { "fc.bias", "fc.weight" }, e.Report.ShapeMismatches.Select(m => m.Key).OrderBy(k => k));
        Assert.Equal(0, e.Report.LoadedCount);
        Assert.Contains("fc.weight file [3,8] vs module [5,8]", e.Message);
        AssertUnchanged(before, module);

        // Non-strict: everything but the head, and the report says so.
        var report = module.LoadWeights(path, strict: false);
        Assert.Equal(7, report.LoadedCount);
        Assert.Equal(2, report.ShapeMismatches.Count);
        TensorAssert.Equal(before["fc.weight"], module.fc.weight!.detach(), "fc.weight");
    }

    [Theory]
    [InlineData("zip")]
    [InlineData("legacy")]
    public void A_partly_prefixed_checkpoint_is_refused_naming_its_prefixed_keys_and_leaves_the_module_untouched(string format)
    {
        // Only conv1's keys carry DataParallel's module. prefix: no DataParallel writes that, so the file was put
        // together from two sources. The prefix is stripped only when every key has it (a network may have a child
        // of its own called 'module', see below), so here the prefixed keys are unexpected and the strict load
        // refuses the file whole, rather than guessing which keys to rename.
        using var module = new TinyNet();
        module.Randomize(5);
        var before = module.Snapshot();
        var path = python.PathOf($"partly_prefixed_{format}.pt");
        var e = Assert.Throws<WeightsLoadException>(() => module.LoadWeights(path));
        Assert.Equal(new[] { "module.conv1.bias", "module.conv1.weight" }, e.Report.UnexpectedKeys);
        Assert.Equal(new[] { "conv1.weight", "conv1.bias" }, e.Report.MissingKeys);
        Assert.Equal(0, e.Report.LoadedCount);
        AssertUnchanged(before, module);
    }

    [Theory]
    [InlineData("zip")]
    [InlineData("legacy")]
    public void A_network_whose_own_child_is_called_module_loads_its_keys_as_they_are(string format)
    {
        // module.weight and module.bias are this network's own names, beside fc.*: stripping 'module.' from the keys
        // that have it (as torch's consume_prefix_in_state_dict_if_present would) would make them miss.
        using var module = new OwnModuleNet();
        var report = module.LoadWeights(python.PathOf($"own_module_{format}.pt"));
        Assert.False(report.HasProblems, report.ToString());
        Assert.Equal(new[] { "module.weight", "module.bias", "fc.weight", "fc.bias" }, report.LoadedKeys);
        CheckpointAssert.MatchesPython(module, python.Expected("own_module"));
    }

    [Theory]
    [InlineData("plain_zip.pt", 0.5)]
    [InlineData("plain_zip.pt", 0.9)]
    [InlineData("plain_legacy.pt", 0.5)]
    [InlineData("plain_legacy.pt", 0.95)]
    public void TruncatedPyTorchFile_IsRefused_AndLeavesTheModuleUntouched(string file, double keep)
    {
        var bytes = File.ReadAllBytes(python.PathOf(file));
        var dir = Directory.CreateTempSubdirectory("cnngen-ckpt-").FullName;
        try
        {
            var path = Path.Combine(dir, "cut.pt");
            File.WriteAllBytes(path, bytes[..(int)(bytes.Length * keep)]);
            using var module = new TinyNet();
            var before = module.Snapshot();
            var e = Assert.Throws<CheckpointFormatException>(() => module.LoadWeights(path, strict: false));
            Assert.Contains(path, e.Message);
            AssertUnchanged(before, module);
        }
        finally
        {
            Directory.Delete(dir, recursive: true);
        }
    }

    internal static void AssertUnchanged(Dictionary<string, Tensor> before, nn.Module module)
    {
        foreach (var (key, tensor) in module.state_dict())
            TensorAssert.Equal(before[key], tensor.detach(), key);
    }
}

/// <summary>OwnModule of make_checkpoints.py: a child of its own called <c>module</c> (Linear 3 -> 2), then <c>fc</c> (Linear 2 -> 1).</summary>
internal sealed class OwnModuleNet : nn.Module
{
    public OwnModuleNet() : base(nameof(OwnModuleNet))
    {
        module = nn.Linear(3, 2);
        fc = nn.Linear(2, 1);
        RegisterComponents();
    }

    // Field names are the state-dict prefixes (RegisterComponents uses them).
    public readonly TorchSharp.Modules.Linear module;
    public readonly TorchSharp.Modules.Linear fc;
}
