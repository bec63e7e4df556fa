using CnnGen.Architectures;
using CnnGen.Runtime;
using CnnGen.Runtime.Onnx;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// Every zoo class exports to ONNX (from its graph), Debian's onnx checker accepts the file, and ONNX Runtime gives
/// the TorchSharp eval output within 1e-4 of the largest output, at two batch sizes and, where height and width
/// are dynamic, at another input size. Batch-norm statistics are randomised first, so the folding is exercised.
/// The zoo is split in two classes (every other name) so xunit runs the halves beside each other: in one class it
/// was the test run's longest chain (13 of its 20 minutes).
/// </summary>
public sealed class OnnxExportTests(Xunit.Abstractions.ITestOutputHelper log)
{
    public static TheoryData<string> FirstHalf() => Half(0);

    public static TheoryData<string> SecondHalf() => Half(1);

    private static TheoryData<string> Half(int parity)
    {
        var data = new TheoryData<string>();
        var names = NetworkCatalog.All.Select(network => network.Name).Order(StringComparer.Ordinal).ToList();
        for (var i = parity; i < names.Count; i += 2) data.Add(names[i]);
        return data;
    }

    [Theory]
    [MemberData(nameof(FirstHalf))]
    public void ONNX_Runtime_gives_the_eval_output(string name) => AssertExportMatches(name, log);

    /// <summary>The other half of the zoo for <see cref="OnnxExportTests"/>, in a class of its own so it runs beside the first.</summary>
    public sealed class SecondHalfOfTheZoo(Xunit.Abstractions.ITestOutputHelper log)
    {
        [Theory]
        [MemberData(nameof(SecondHalf), MemberType = typeof(OnnxExportTests))]
        public void ONNX_Runtime_gives_the_eval_output(string name) => AssertExportMatches(name, log);
    }

    private static void AssertExportMatches(string name, Xunit.Abstractions.ITestOutputHelper log)
    {
        var info = Zoo.Get(name);
        manual_seed(7);
        using var network = info.CreateModule();
        RandomizeNorms(network);
        network.eval();
        var path = Path.Combine(Path.GetTempPath(), $"cnngen-onnx-{name}-{Guid.NewGuid():N}.onnx");
        try
        {
            var clock = System.Diagnostics.Stopwatch.StartNew();
            ((dynamic)network).ExportOnnx(path);
            var exported = clock.Elapsed.TotalSeconds;
            CheckWithOnnx(path);
            var checkedAt = clock.Elapsed.TotalSeconds;
            using var session = new InferenceSession(path);
            var loaded = clock.Elapsed.TotalSeconds;
            var metadata = session.ModelMetadata.CustomMetadataMap;
            Assert.Equal(name, metadata[OnnxExport.ClassKey]);
            Assert.Equal(info.ParameterCount.ToString(System.Globalization.CultureInfo.InvariantCulture), metadata[OnnxExport.ParametersKey]);
            // The declared size, and where height and width are dynamic a smaller one that is not square (so a height and
            // width swapped anywhere shows); one of them with two samples, so the dynamic batch is checked too. (Batches
            // of 1 and 3 at both sizes took 90 s for UNet at 572x572; the exported graph is the same at any batch.)
            var comparisons = new List<(long[] Shape, int Batch)>();
            if (metadata[OnnxExport.DynamicSpatialKey] == "true")
            {
                var minimum = (long[])info.Type.GetProperty("MinimumInputShape")!.GetValue(null)!;
                comparisons.Add((info.InputShape, 1));
                comparisons.Add(([info.InputShape[0], Math.Max(minimum[1], 96) + 16, Math.Max(minimum[2], 96)], 2));
            }
            else comparisons.Add((info.InputShape, 2));
            var worst = (Difference: 0.0, Largest: 0.0);
            foreach (var (shape, batch) in comparisons)
            {
                var compared = AssertSameOutput(name, network, session, batch, shape);
                if (compared.Difference / compared.Largest > worst.Difference / Math.Max(worst.Largest, double.Epsilon)) worst = compared;
            }
            log.WriteLine($"{name}: exported {exported:F1} s, checked {checkedAt:F1} s, loaded {loaded:F1} s, compared {clock.Elapsed.TotalSeconds:F1} s ({new FileInfo(path).Length / 1e6:F0} MB); " +
                          $"largest max|difference| {worst.Difference:G3} against max|output| {worst.Largest:G3} ({worst.Difference / worst.Largest:E1}) at {string.Join(", ", comparisons.Select(c => $"{c.Batch}x" + string.Join("x", c.Shape)))}");
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_fixed_size_export_fixes_height_and_width_and_gives_the_eval_output()
    {
        manual_seed(7);
        using var network = new ResNet18();
        RandomizeNorms(network);
        network.eval();
        var path = Path.Combine(Path.GetTempPath(), $"cnngen-onnx-fixed-{Guid.NewGuid():N}.onnx");
        try
        {
            network.ExportOnnx(path, fixedSize: true);
            CheckWithOnnx(path);
            using var session = new InferenceSession(path);
            Assert.Equal("false", session.ModelMetadata.CustomMetadataMap[OnnxExport.DynamicSpatialKey]);
            Assert.Equal([-1, 3, 224, 224], session.InputMetadata["input"].Dimensions);
            foreach (var batch in new[] { 1, 3 })
                AssertSameOutput("ResNet18", network, session, batch, ResNet18.InputShape);
        }
        finally
        {
            File.Delete(path);
        }
    }

    /// <summary>
    /// UNetPadded pads each up-convolution to its skip (pad(to=skip), milesial's F.pad), so odd sizes work; the export's
    /// pads are computed at run time from the two maps' shapes, and are not zero at these sizes.
    /// </summary>
    [Fact]
    public void UNetPadded_exports_pads_that_follow_the_input_size()
    {
        manual_seed(7);
        using var network = new UNetPadded();
        RandomizeNorms(network);
        network.eval();
        var path = Path.Combine(Path.GetTempPath(), $"cnngen-onnx-unet-pad-{Guid.NewGuid():N}.onnx");
        try
        {
            network.ExportOnnx(path);
            using var session = new InferenceSession(path);
            foreach (var shape in new long[][] { [3, 100, 75], [3, 37, 50] })
                AssertSameOutput("UNetPadded", network, session, 1, shape);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void A_network_in_its_inference_form_is_refused_and_nothing_is_written()
    {
        using var network = new ResNet18();
        network.ToInference();
        var path = Path.Combine(Path.GetTempPath(), $"cnngen-onnx-refused-{Guid.NewGuid():N}.onnx");
        var error = Assert.Throws<InvalidOperationException>(() => network.ExportOnnx(path));
        Assert.Contains("inference form", error.Message);
        Assert.False(File.Exists(path));
    }

    /// <summary>Compares the outputs; returns the largest difference and the largest output's magnitude.</summary>
    /// <summary>
    /// Compares the outputs (each of a network that returns several, by its name: the file's outputs are named as the
    /// YAML's); returns the largest difference and the largest output's magnitude.
    /// </summary>
    private static (double Difference, double Largest) AssertSameOutput(string name, nn.Module network, InferenceSession session, int batch, long[] shape)
    {
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = randn(new long[] { batch }.Concat(shape).ToArray());
        var outputs = Zoo.NamedOutputs(network, input);
        var dims = new[] { batch }.Concat(shape.Select(d => (int)d)).ToArray();
        using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor(input.data<float>().ToArray(), dims))]);
        var names = outputs.Select(output => output.Name).ToList();
        Assert.Equal(names, results.Select(result => result.Name));
        var worst = (Difference: 0.0, Largest: 0.0);
        for (var i = 0; i < outputs.Count; i++)
        {
            var expected = outputs[i].Tensor.contiguous().data<float>().ToArray();
            var actual = results.Single(result => result.Name == names[i]).AsEnumerable<float>().ToArray();
            Assert.Equal(expected.Length, actual.Length);
            var largest = expected.Max(Math.Abs);
            var difference = expected.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(difference <= 1e-4 * largest, $"{name} {names[i]}, batch {batch}, input {string.Join("x", shape)}: max|difference| {difference:G3} against max|output| {largest:G3}");
            if (difference / largest >= worst.Difference / Math.Max(worst.Largest, double.Epsilon)) worst = (difference, largest);
        }
        return worst;
    }

    /// <summary>
    /// Batch norms with statistics and affine parameters far from the identity, as trained ones are; the first norm's
    /// first channel has a variance of eps's size, so a fold that leaves eps out is seen at the output.
    /// </summary>
    private static void RandomizeNorms(nn.Module network)
    {
        using var _ = no_grad();
        var first = true;
        foreach (var (key, tensor) in network.state_dict())
        {
            if (key.EndsWith(".running_mean", StringComparison.Ordinal)) tensor.copy_(randn_like(tensor) * 0.2);
            else if (key.EndsWith(".running_var", StringComparison.Ordinal))
            {
                tensor.copy_(rand_like(tensor) + 0.5);
                if (first) tensor[0].fill_(1e-5);
                first = false;
            }
        }
        foreach (var (key, parameter) in network.named_parameters())
            if (parameter.dim() == 1 && key.EndsWith(".bias", StringComparison.Ordinal)) parameter.copy_(randn_like(parameter) * 0.1);
    }

    /// <summary>Debian's onnx checker with full_check (shape inference over the whole graph) on the file.</summary>
    internal static void CheckWithOnnx(string path)
    {
        // By path: onnx checks and infers shapes in C++ without building the model in Python (15 s less for VGG-16).
        const string script = "import sys, onnx; onnx.checker.check_model(sys.argv[1], full_check=True)";
        var (code, output, error) = CnnGen.Tests.Shared.ChildProcess.Run("/usr/bin/python3", ["-c", script, path], TimeSpan.FromMinutes(5));
        Assert.True(code == 0, $"onnx.checker rejects the file (Debian's python3-onnx; .ci/run installs it):\n{error}\n{output}");
    }
}
