using CnnGen.Architectures;
using CnnGen.Architectures.Tests;
using CnnGen.Runtime;
using CnnGen.Runtime.Weights;
using Microsoft.ML.OnnxRuntime;
using static TorchSharp.torch;
using OnnxExport = CnnGen.Runtime.Onnx.OnnxExport;

namespace CnnGen.Samples.Performance;

/// <summary>
/// ONNX Runtime on files of one torchvision network with the same weights: CnnGen's export of the generated class
/// with the reference weights loaded, as <c>ExportOnnx(path)</c> writes it (height and width dynamic where the layers
/// allow) and with height and width fixed (<c>OnnxExport.Write(network, path, fixedSize: true)</c>, the batch still
/// dynamic), against <c>torch.onnx.export</c>'s (Debian's PyTorch 1.13, samples/Performance/export_torchvision_onnx.py,
/// the same weights file loaded into torchvision's model; dynamic batch, fixed height and width). The weights are those
/// of tests/fixtures/torchvision/make_reference.py (random, batch-norm statistics calibrated), made once into the
/// reference cache as the architecture tests make them. All sessions get the same options: 2 intra-op threads (as
/// TorchSharp and PyTorch here), ONNX Runtime's default graph optimization level.
/// </summary>
internal sealed class OnnxRuntimeFiles : IDisposable
{
    /// <summary>ONNX Runtime's files: ~/.cache/cnngen/onnx (CnnGen's are written again on every run, torch.onnx's once per reference and script).</summary>
    private static string CacheRoot => Path.Combine(Path.GetDirectoryName(ReferenceData.CacheRoot)!, "onnx");

    private static readonly RunOptions RunOptions = new();

    /// <summary>The files in the order the sample prints them: CnnGen's default export, CnnGen's fixed-size export, torch.onnx's.</summary>
    public IReadOnlyList<(string Name, string File, InferenceSession Session)> Files { get; }

    private OnnxRuntimeFiles(IReadOnlyList<(string Name, string File)> files) =>
        Files = files.Select(file => (file.Name, file.File, new InferenceSession(file.File, Options()))).ToList();

    /// <summary>The options of every measured session (and of the dumps, which only add the file to write).</summary>
    private static SessionOptions Options(string? optimizedModel = null)
    {
        var options = new SessionOptions { IntraOpNumThreads = 2 };
        if (optimizedModel is not null) options.OptimizedModelFilePath = optimizedModel;
        return options;
    }

    /// <summary>Writes the files for <paramref name="network"/> (one of <see cref="PyTorch.TorchvisionName"/>'s) and opens a session on each.</summary>
    public static OnnxRuntimeFiles Create(string network)
    {
        var key = PyTorch.TorchvisionName[network];
        var reference = ReferenceData.Get(key);
        var weights = Path.Combine(reference, "weights.safetensors");
        Directory.CreateDirectory(CacheRoot);

        var script = FindScript();
        var made = ReferenceData.MadeBy(Path.GetFileName(reference), [], [File.ReadAllText(script)]);
        var torchFile = Path.Combine(CacheRoot, $"{key}-torch-{made}.onnx");
        if (!File.Exists(torchFile))
        {
            var (code, output, error) = global::CnnGen.Tests.Shared.ChildProcess.Run("/usr/bin/python3", [script, key, weights, torchFile], TimeSpan.FromMinutes(10));
            if (code != 0 || !File.Exists(torchFile))
                throw new InvalidOperationException($"{Path.GetFileName(script)} {key} failed ({code}); it needs Debian's python3-torchvision and python3-onnx.\n{error}\n{output}");
        }

        var cnngenFile = Path.Combine(CacheRoot, $"{key}-cnngen.onnx");
        var fixedFile = Path.Combine(CacheRoot, $"{key}-cnngen-fixed.onnx");
        switch (network)
        {
            case "ResNet50": Export(new ResNet50(), weights, cnngenFile, fixedFile); break;
            case "InceptionV3": Export(new InceptionV3(), weights, cnngenFile, fixedFile); break;
            case "DenseNet121": Export(new DenseNet121(), weights, cnngenFile, fixedFile); break;
            case "MobileNetV2": Export(new MobileNetV2(), weights, cnngenFile, fixedFile); break;
            case "EfficientNetB0": Export(new EfficientNetB0(), weights, cnngenFile, fixedFile); break;
            case "ConvNeXtTiny": Export(new ConvNeXtTiny(), weights, cnngenFile, fixedFile); break;
            default: throw new ArgumentException($"{network} has no ONNX Runtime columns.", nameof(network));
        }
        return new OnnxRuntimeFiles([("cnngen", cnngenFile), ("cnngen-fixed", fixedFile), ("torch", torchFile)]);
    }

    /// <summary>The generated class with the reference weights (strictly: every key and shape), exported both ways.</summary>
    private static void Export<TNetwork>(TNetwork network, string weights, string path, string fixedPath) where TNetwork : nn.Module, IGeneratedNetwork
    {
        using (network)
        {
            var report = network.LoadSafetensors(weights);
            if (report.HasProblems) throw new InvalidOperationException($"{weights} does not load into {typeof(TNetwork).Name}:\n{report}");
            network.eval();
            OnnxExport.Write(network, path);
            OnnxExport.Write(network, fixedPath, fixedSize: true);
        }
    }

    /// <summary>One call of <paramref name="session"/> on <paramref name="input"/>; its outputs are freed at once.</summary>
    public static void Run(InferenceSession session, OrtValue input)
    {
        using var outputs = session.Run(RunOptions, ["input"], [input], ["output"]);
    }

    /// <summary>
    /// The largest difference between each CnnGen file's output and torch.onnx's for one input, and torch.onnx's largest
    /// output: that the files compute the same network with the same weights.
    /// </summary>
    public (float Difference, float Largest) Compare(OrtValue input)
    {
        using var expected = Files[^1].Session.Run(RunOptions, ["input"], [input], ["output"]);
        var y = expected[0].GetTensorDataAsSpan<float>();
        var (difference, largest) = (0f, 0f);
        foreach (var value in y) largest = Math.Max(largest, Math.Abs(value));
        foreach (var (name, _, session) in Files.SkipLast(1))
        {
            using var actual = session.Run(RunOptions, ["input"], [input], ["output"]);
            var x = actual[0].GetTensorDataAsSpan<float>();
            if (x.Length != y.Length) throw new InvalidOperationException($"{name}'s file gives {x.Length} outputs, torch.onnx's {y.Length}");
            for (var i = 0; i < x.Length; i++) difference = Math.Max(difference, Math.Abs(x[i] - y[i]));
        }
        return (difference, largest);
    }

    /// <summary>
    /// The files' op types, and with <paramref name="dumpFolder"/> ONNX Runtime's optimized graph of each (written there
    /// by a session with the same options plus <c>OptimizedModelFilePath</c>) and its op types: what it fused.
    /// </summary>
    public void Describe(string network, string? dumpFolder)
    {
        foreach (var (name, file, _) in Files) Console.WriteLine($"  ONNX file {name,-12} {OpTypes(file)}");
        if (dumpFolder is null) return;
        Directory.CreateDirectory(dumpFolder);
        foreach (var (name, file, _) in Files)
        {
            var optimized = Path.Combine(dumpFolder, $"{network}-{name}-optimized.onnx");
            using (var options = Options(optimized))
            {
                // Its warning that the NCHWc layout ties the dumped graph to this CPU is expected.
                options.LogSeverityLevel = OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
                using (new InferenceSession(file, options)) { }
            }
            Console.WriteLine($"  optimized  {name,-12} {OpTypes(optimized)} ({optimized})");
        }
    }

    /// <summary>"N nodes: Conv 53, Relu 49, ..." (ONNX Runtime's own ops with their domain).</summary>
    public static string OpTypes(string file)
    {
        using var stream = File.OpenRead(file);
        var graph = Onnx.ModelProto.Parser.ParseFrom(stream).Graph;
        var ops = graph.Node.GroupBy(node => node.Domain is "" or "ai.onnx" ? node.OpType : $"{node.Domain}.{node.OpType}")
            .OrderByDescending(group => group.Count()).ThenBy(group => group.Key, StringComparer.Ordinal);
        return $"{graph.Node.Count} nodes: " + string.Join(", ", ops.Select(group => $"{group.Key} {group.Count()}"));
    }

    private static string FindScript()
    {
        for (var folder = AppContext.BaseDirectory; folder is not null; folder = Path.GetDirectoryName(folder))
        {
            var candidate = Path.Combine(folder, "samples", "Performance", "export_torchvision_onnx.py");
            if (File.Exists(candidate)) return candidate;
        }
        throw new FileNotFoundException("samples/Performance/export_torchvision_onnx.py is not above the sample's folder");
    }

    public void Dispose()
    {
        foreach (var (_, _, session) in Files) session.Dispose();
    }
}
