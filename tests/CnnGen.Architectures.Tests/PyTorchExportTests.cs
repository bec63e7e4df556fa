using System.Globalization;
using System.Reflection;
using System.Text.Json;
using CnnGen.Generator.Analysis;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;
using CnnGen.Generator.Layers;
using CnnGen.Runtime;
using NetworkGraph = CnnGen.Generator.Graph.NetworkGraph;
using CnnGen.Runtime.Weights;
using CnnGen.Tool;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// What <c>cnngen export --pytorch</c> writes for every zoo class, run by Debian's torch 1.13 against the C# class:
/// the same parameter count and state-dict keys and shapes (in order); from the C# class's own weights (saved with
/// SaveSafetensors, loaded strictly) the same eval output within 1e-4 of the largest output, and the same
/// training-mode output (batch norms on batch statistics; dropout off, stochastic depth 0), aux heads included. The
/// networks are built, run and saved here in batches, and one Python process compares each batch
/// (tests/fixtures/pytorch/compare_with_csharp.py), so the zoo takes minutes, not a process per network.
/// </summary>
public sealed class PyTorchExportTests(PyTorchZoo zoo, ITestOutputHelper log) : IClassFixture<PyTorchZoo>
{
    [Theory]
    [MemberData(nameof(Zoo.Names), MemberType = typeof(Zoo))]
    public void The_PyTorch_module_equals_the_CSharp_class(string name) => AssertSame(name);

    /// <summary>Model arguments are the Python constructor's parameters: other sizes give the C# class's tensors and outputs.</summary>
    [Theory]
    [MemberData(nameof(ArgumentCases))]
    public void Model_arguments_are_constructor_arguments(string key) => AssertSame(key);

    /// <summary>UNetPadded's Python module has milesial/Pytorch-UNet's state-dict names, so that repository's checkpoints load by name.</summary>
    [Fact]
    public void UNetPadded_has_milesials_module_names()
    {
        var keys = zoo.Result("UNetPadded").GetProperty("keys").EnumerateArray().Select(entry => entry[0].GetString()).ToHashSet();
        foreach (var key in new[] { "inc.double_conv.0.weight", "inc.double_conv.1.running_var", "down1.maxpool_conv.1.double_conv.0.weight",
                     "down4.maxpool_conv.1.double_conv.4.weight", "up1.up.weight", "up1.up.bias", "up1.conv.double_conv.0.weight", "outc.conv.weight" })
            Assert.Contains(key, keys);
    }

    public static TheoryData<string> ArgumentCases()
    {
        var data = new TheoryData<string>();
        foreach (var variant in PyTorchZoo.Variants) data.Add(variant.Key);
        return data;
    }

    private void AssertSame(string key)
    {
        var result = zoo.Result(key);
        var expected = zoo.Expected[key];
        Assert.False(result.TryGetProperty("error", out var error), $"{key}: the Python module failed:\n{error}");
        Assert.Equal(expected.Count, result.GetProperty("parameters").GetInt64());
        // The same tensors, and the parameters and the buffers each in the C# class's order (TorchSharp's state_dict
        // lists every parameter before every buffer; PyTorch's goes module by module, as torchvision's files do).
        var keys = result.GetProperty("keys").EnumerateArray()
            .Select(entry => entry[0].GetString() + " " + string.Join("x", entry[1].EnumerateArray().Select(d => d.GetInt64()))).ToList();
        Assert.Equal(expected.Keys.Order(StringComparer.Ordinal), keys.Order(StringComparer.Ordinal));
        Assert.Equal(expected.Parameters, result.GetProperty("parameter_keys").EnumerateArray().Select(key => key.GetString()!).ToList());
        Assert.Equal(expected.Buffers, result.GetProperty("buffer_keys").EnumerateArray().Select(key => key.GetString()!).ToList());
        var line = $"{key}: {expected.Count:N0} parameters, {keys.Count} state-dict entries";
        foreach (var (what, element) in Comparisons(result))
        {
            var difference = element.GetProperty("max_difference").GetDouble();
            var largest = element.GetProperty("max_output").GetDouble();
            Assert.Equal(element.GetProperty("expected_shape").ToString(), element.GetProperty("shape").ToString());
            Assert.True(difference <= 1e-4 * largest, $"{key} {what}: max|difference| {difference:G3} against max|output| {largest:G3}");
            // Not vacuous: the two samples' outputs differ by far more than the tolerance.
            var spread = element.GetProperty("spread").GetDouble();
            Assert.True(spread >= 1e-2 * largest, $"{key} {what}: the output hardly depends on the input (samples differ by {spread:G3}, max|output| {largest:G3})");
            line += $"; {what} {difference:E1} of {largest:G3} ({difference / largest:E1})";
        }
        log.WriteLine(line + $"; Python {result.GetProperty("seconds").GetDouble():F1} s");
        if (key == "AlexNet")
        {
            log.WriteLine($"Python's torch: {zoo.Result("__torch__")}");
            foreach (var timing in zoo.Timings) log.WriteLine(timing);
        }
    }

    private static IEnumerable<(string What, JsonElement Element)> Comparisons(JsonElement result)
    {
        if (result.TryGetProperty("eval", out var eval)) yield return ("eval", eval);
        if (result.TryGetProperty("train", out var train)) yield return ("train", train);
        if (result.TryGetProperty("train_aux", out var aux))
            foreach (var head in aux.EnumerateObject()) yield return ("train " + head.Name, head.Value);
        foreach (var pass in new[] { "eval", "train" })
            if (result.TryGetProperty(pass + "_outputs", out var outputs))
                foreach (var output in outputs.EnumerateObject()) yield return (pass + " " + output.Name, output.Value);
    }
}

/// <summary>
/// A YAML name Python could misread never becomes code: <c>cnngen export --pytorch</c> reports a diagnostic (the
/// analysis's own, or CNNPT02) and writes nothing.
/// </summary>
public sealed class PyTorchExportNameTests
{
    [Theory]
    [InlineData("__import__", "CNNPT02")]
    [InlineData("training", "CNNPT02")]
    [InlineData("forward", "CNNPT02")]
    [InlineData("__class__", "CNNPT02")]
    [InlineData("weight\"); import os; os.system(\"id", "CNN")]
    [InlineData("a\nb", "CNN")]
    [InlineData("café", "CNNPT02")]
    public void A_hostile_layer_name_is_a_diagnostic_and_nothing_is_written(string name, string id)
    {
        // A YAML-quoted key, so the name reaches the analysis as it is.
        var quoted = "\"" + name.Replace("\\", "\\\\").Replace("\"", "\\\"").Replace("\n", "\\n") + "\"";
        AssertRefused($"""
            name: Hostile
            input: [3, 8, 8]
            layers:
              {quoted}: conv(4, k=3, p=1)
              flatten: flatten
              output: linear(10)
            """, id);
    }

    [Theory]
    [InlineData("__import__")]
    [InlineData("torch")]
    [InlineData("F")]
    [InlineData("round")]
    [InlineData("class")]
    public void A_hostile_argument_name_is_a_diagnostic_and_nothing_is_written(string name) =>
        AssertRefused($"""
            name: Hostile
            input: [3, 8, 8]
            args: {"{"} {name}: 4 {"}"}
            layers:
              conv: conv({name}, k=3, p=1)
              flatten: flatten
              output: linear(10)
            """, "CNN");

    [Fact]
    public void A_hostile_aux_head_or_block_name_is_a_diagnostic_or_never_code()
    {
        // An aux head by a name Python's namedtuple refuses.
        AssertRefused("""
            name: Hostile
            input: [3, 16, 16]
            layers:
              stem: conv(8, k=3, p=1)
              body: conv(8, k=3, p=1)
              flatten: flatten
              output: linear(10)
            aux:
              __class__: { at: stem, layers: [flatten, linear(10)] }
            """, "CNN");
        // A block's name only ever becomes a class name made of its letters and digits.
        var (code, text, error) = Export("""
            name: Hostile
            input: [3, 16, 16]
            blocks:
              "x\"):\n import os #"(c):
                a: conv(c, k=3, p=1)
                r: relu
            layers:
              b1: x\"):\n import os #(8)
              flatten: flatten
              output: linear(10)
            """);
        if (code == 0)
        {
            Assert.DoesNotContain("import os", text!);
            Assert.DoesNotContain("\"):", text!);
        }
        else Assert.Contains("CNN", error);
    }

    [Fact]
    public void Every_class_of_a_file_is_written_unless_one_is_named_and_arguments_become_defaults()
    {
        var folder = Directory.CreateTempSubdirectory("cnngen-pytorch-tool-").FullName;
        try
        {
            var yaml = Path.Combine(AnalysedZoo.Folder, "densenet.cnn.yaml");
            var all = Path.Combine(folder, "all.py");
            var (output, error) = (new StringWriter(), new StringWriter());
            Assert.Equal(0, ExportCommand.Run([yaml, "--pytorch", all], output, error));
            var text = File.ReadAllText(all);
            Assert.Contains("__all__ = [\"DenseNet121\", \"DenseNet169\", \"DenseNet201\"]", text);
            // The variants share their block classes: one DenseLayer for all three.
            Assert.Single(text.Split('\n'), line => line.StartsWith("class DenseLayer(", StringComparison.Ordinal));

            var one = Path.Combine(folder, "one.py");
            Assert.Equal(0, ExportCommand.Run([yaml, "--pytorch", one, "--class", "DenseNet121", "--arg", "num_classes=10"], output, error));
            text = File.ReadAllText(one);
            Assert.Contains("__all__ = [\"DenseNet121\"]", text);
            Assert.Contains("def __init__(self, num_classes=10, growth_rate=32", text);
            Assert.Equal(2, Directory.GetFiles(folder).Length);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void AssertRefused(string yaml, string id)
    {
        var (code, text, error) = Export(yaml);
        Assert.True(code == 1, $"exit code {code}; expected a diagnostic and nothing written\n{error}\n{text}");
        Assert.Null(text);
        Assert.Contains("error " + id, error);
    }

    /// <summary>Exports <paramref name="yaml"/> with the tool; the file's text, or null when nothing was written.</summary>
    private static (int Code, string? Text, string Error) Export(string yaml)
    {
        var folder = Directory.CreateTempSubdirectory("cnngen-pytorch-hostile-").FullName;
        try
        {
            var network = Path.Combine(folder, "hostile.cnn.yaml");
            var target = Path.Combine(folder, "hostile.py");
            File.WriteAllText(network, yaml);
            var (output, error) = (new StringWriter(), new StringWriter());
            var code = ExportCommand.Run([network, "--pytorch", target], output, error);
            Assert.DoesNotContain(Directory.GetFiles(folder), file => file != network && file != target);
            return (code, File.Exists(target) ? File.ReadAllText(target) : null, error.ToString());
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}

/// <summary>
/// Exports every architectures/*.cnn.yaml with <c>cnngen export --pytorch</c>, builds each zoo class (and the argument
/// variants) in C#, saves its weights, input and outputs, and has Debian's torch compare a batch of them at a time;
/// the batches' files are deleted as soon as they are compared, and the folder when the tests end.
/// </summary>
public sealed class PyTorchZoo : IDisposable
{
    /// <summary>A batch holds networks up to this many parameters (4 bytes each on disk), then Python compares it.</summary>
    private const long BatchParameters = 200_000_000;

    private const int Batch = 2;

    /// <summary>Classes built with other model arguments (YAML names), each compared as a network of its own.</summary>
    public static readonly IReadOnlyList<(string Key, string Name, IReadOnlyDictionary<string, object> Arguments)> Variants =
    [
        ("ResNet18(num_classes=10,in_channels=1)", "ResNet18", new Dictionary<string, object> { ["num_classes"] = 10L, ["in_channels"] = 1L }),
        ("DenseNet121(growth_rate=16,num_classes=10)", "DenseNet121", new Dictionary<string, object> { ["growth_rate"] = 16L, ["num_classes"] = 10L }),
        ("InceptionV3Aux(num_classes=10)", "InceptionV3Aux", new Dictionary<string, object> { ["num_classes"] = 10L }),
        ("MobileNetV3Large(num_classes=10,dropout=0.5)", "MobileNetV3Large", new Dictionary<string, object> { ["num_classes"] = 10L, ["dropout"] = 0.5 }),
    ];

    private readonly string _folder = Directory.CreateTempSubdirectory("cnngen-pytorch-").FullName;
    private readonly Dictionary<string, JsonElement> _results = new(StringComparer.Ordinal);

    public PyTorchZoo()
    {
        try
        {
            Run();
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>What the C# class has: its parameter count, state-dict entries ("key AxBxC") and its parameters' and buffers' keys in order.</summary>
    public Dictionary<string, (long Count, List<string> Keys, List<string> Parameters, List<string> Buffers)> Expected { get; } = new(StringComparer.Ordinal);

    public JsonElement Result(string key) =>
        _results.TryGetValue(key, out var result) ? result : throw new InvalidOperationException($"{key} was not compared");

    private void Run()
    {
        var modules = new Dictionary<string, string>(StringComparer.Ordinal);
        foreach (var yaml in Directory.GetFiles(AnalysedZoo.Folder, "*.cnn.yaml").Order(StringComparer.Ordinal))
        {
            var target = Path.Combine(_folder, Path.GetFileName(yaml).Replace(".cnn.yaml", ".py", StringComparison.Ordinal));
            var (output, error) = (new StringWriter(), new StringWriter());
            var code = ExportCommand.Run([yaml, "--pytorch", target], output, error);
            if (code != 0) throw new InvalidOperationException($"cnngen export {yaml} --pytorch failed ({code}):\n{error}");
            modules[Path.GetFullPath(yaml)] = target;
        }

        var cases = NetworkCatalog.All.Select(network => (Key: network.Name, network.Name, Arguments: (IReadOnlyDictionary<string, object>)new Dictionary<string, object>()))
            .Concat(Variants).ToList();
        var batch = new List<Dictionary<string, object?>>();
        long parameters = 0;
        foreach (var (key, name, arguments) in cases)
        {
            var graph = AnalysedZoo.Get(name).Graph!;
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var entry = Prepare(key, name, graph, arguments, modules[Path.GetFullPath(graph.SourcePath)]);
            Timings.Add($"{key}: C# {clock.Elapsed.TotalSeconds:F1} s");
            batch.Add(entry);
            parameters += Expected[key].Count;
            if (parameters >= BatchParameters)
            {
                Compare(batch);
                parameters = 0;
            }
        }
        if (batch.Count > 0) Compare(batch);
    }

    /// <summary>Where the fixture's time went (C# per network, Python per batch).</summary>
    public List<string> Timings { get; } = new();

    /// <summary>
    /// Builds the C# class with the arguments (stochastic depth at 0, so training mode is deterministic), with batch-norm
    /// statistics and normalisation and layer-scale factors far from their initial values, and saves its weights, an
    /// input, its eval output and its training-mode output (dropout modules in eval).
    /// </summary>
    private Dictionary<string, object?> Prepare(string key, string name, NetworkGraph graph, IReadOnlyDictionary<string, object> given, string module)
    {
        var arguments = new Dictionary<string, object>(given, StringComparer.Ordinal);
        foreach (var depth in graph.Nodes.Select(node => node.Operation).OfType<StochasticDepthOp>())
        {
            if (depth.P.Expr is null)
            {
                if (depth.P.Value != 0) throw new InvalidOperationException($"{name}: a stochastic depth rate that no argument sets cannot be switched off in C#");
                continue;
            }
            foreach (var argument in Leaves(depth.P.Expr).OfType<ArgumentRef>()) arguments[argument.YamlName] = 0.0;
        }
        var stem = string.Concat(key.Select(c => char.IsLetterOrDigit(c) ? c : '_'));
        var weights = Path.Combine(_folder, stem + ".weights.safetensors");
        var io = Path.Combine(_folder, stem + ".io.safetensors");
        // A generator of its own: test classes running beside this one draw from torch's global one.
        using var random = new TorchSharp.torch.Generator(11);
        using (var network = Create(Zoo.Get(name), graph, arguments))
        using (NewDisposeScope())
        {
            var sample = InputOf(Zoo.Get(name), graph, arguments);
            var input = randn([Batch, .. sample], generator: random);
            Randomize(network, input, random);
            var state = network.state_dict();
            Expected[key] = (network.parameters().Sum(parameter => parameter.numel()),
                state.Select(pair => pair.Key + " " + string.Join("x", pair.Value.shape)).ToList(),
                network.named_parameters().Select(pair => pair.name).ToList(), network.named_buffers().Select(pair => pair.name).ToList());
            network.SaveSafetensors(weights);
            var tensors = new Dictionary<string, Tensor> { ["input"] = input };
            using (no_grad())
            {
                network.eval();
                if (graph.Outputs.Count > 0)
                {
                    // A network that returns several outputs: each under its name.
                    foreach (var (output, tensor) in graph.Outputs.Zip(Zoo.Outputs(network, input))) tensors["eval." + output.Name] = tensor;
                    network.train();
                    foreach (var dropout in network.modules().OfType<TorchSharp.Modules.Dropout>()) dropout.eval();
                    foreach (var (output, tensor) in graph.Outputs.Zip(Zoo.Outputs(network, input))) tensors["train." + output.Name] = tensor;
                }
                else
                {
                    tensors["eval"] = ((nn.Module<Tensor, Tensor>)network).forward(input);
                    network.train();
                    foreach (var dropout in network.modules().OfType<TorchSharp.Modules.Dropout>()) dropout.eval();
                    if (graph.AuxOutputs.Count > 0)
                    {
                        var outputs = network.GetType().GetMethod("ForwardWithAux")!.Invoke(network, [input])!;
                        tensors["train"] = (Tensor)outputs.GetType().GetProperty("Output")!.GetValue(outputs)!;
                        foreach (var aux in graph.AuxOutputs)
                            tensors["train." + aux.Name] = (Tensor)outputs.GetType().GetProperty(Identifiers.Pascal(aux.Name))!.GetValue(outputs)!;
                    }
                    else tensors["train"] = ((nn.Module<Tensor, Tensor>)network).forward(input);
                }
            }
            SafetensorsWriter.Write(io, tensors);
        }
        return new Dictionary<string, object?>
        {
            ["key"] = key,
            ["name"] = name,
            ["module"] = module,
            ["kwargs"] = arguments,
            // JSON writes 0.0 as 0: the script makes these floats again, as the C# constructor's doubles are.
            ["floats"] = graph.Arguments.Where(argument => argument.Type == "double" && arguments.ContainsKey(argument.Name)).Select(argument => argument.Name).ToList(),
            ["weights"] = weights,
            ["io"] = io,
            ["aux"] = graph.AuxOutputs.Select(aux => aux.Name).ToList(),
            ["outputs"] = graph.Outputs.Select(output => output.Name).ToList(),
        };
    }

    /// <summary>The class's constructor with the arguments given (by their YAML names), the others at their defaults.</summary>
    private static nn.Module Create(NetworkInfo info, NetworkGraph graph, IReadOnlyDictionary<string, object> arguments)
    {
        var constructor = info.Type.GetConstructors().Single();
        var byParameter = graph.Arguments.Where(argument => arguments.ContainsKey(argument.Name))
            .ToDictionary(argument => argument.CSharpName.TrimStart('@'), argument => arguments[argument.Name]);
        var values = constructor.GetParameters()
            .Select(parameter => byParameter.TryGetValue(parameter.Name!, out var value) ? Convert.ChangeType(value, parameter.ParameterType, CultureInfo.InvariantCulture) : Type.Missing)
            .ToArray();
        return (nn.Module)constructor.Invoke(BindingFlags.OptionalParamBinding, null, values, null);
    }

    /// <summary>
    /// One sample's shape: the graph's channels (in_channels evaluated); where the class takes other sizes, a small
    /// input that is not square (so a height and width swapped shows) and at least the smallest it accepts, which keeps
    /// the zoo's forward passes to seconds; else the declared size.
    /// </summary>
    private static long[] InputOf(NetworkInfo info, NetworkGraph graph, IReadOnlyDictionary<string, object> arguments)
    {
        var channels = graph.Input.Dims[0] is { Expr: ArgumentRef argument } && arguments.TryGetValue(argument.YamlName, out var value)
            ? Convert.ToInt64(value, CultureInfo.InvariantCulture) : graph.Input.Dims[0].Value;
        if ((bool)info.Type.GetProperty("FixedInputSize")!.GetValue(null)!) return [channels, info.InputShape[1], info.InputShape[2]];
        var minimum = (long[])info.Type.GetProperty("MinimumInputShape")!.GetValue(null)!;
        var (height, width) = (Math.Min(info.InputShape[1], Math.Max(minimum[1], 80)), Math.Min(info.InputShape[2], Math.Max(minimum[2], 64)));
        // Where upsampled maps meet others (YOLOv8n), only some sizes work: the next that does (the declared one at most).
        var accepts = info.Type.GetMethod("AcceptsInputSize")!;
        bool Accepts(long h, long w) => (bool)accepts.Invoke(null, [h, w])!;
        while (height < info.InputShape[1] && !Accepts(height, info.InputShape[2])) height++;
        while (width < info.InputShape[2] && !Accepts(height, width)) width++;
        return [channels, height, width];
    }

    private static IEnumerable<SizeExpr> Leaves(SizeExpr expr) => expr switch
    {
        UnaryOp unary => Leaves(unary.Operand),
        BinaryOp binary => Leaves(binary.Left).Concat(Leaves(binary.Right)),
        ConditionalOp conditional => Leaves(conditional.Condition).Concat(Leaves(conditional.WhenTrue)).Concat(Leaves(conditional.WhenFalse)),
        FunctionCall call => call.Arguments.SelectMany(Leaves),
        _ => [expr],
    };

    /// <summary>
    /// Convolution and linear weights He-normal (std sqrt(2 / fan-in)), so the signal does not vanish over depth
    /// (PyTorch's default init shrinks it about 1.7x a layer: MobileNet v1's output would no longer depend on its input);
    /// batch-norm statistics calibrated by one training-mode pass (momentum 1, the test's input among 16 samples), then
    /// perturbed a little, so activations keep their scale through the depth and every norm differs from both the
    /// identity and the batch's own statistics; every other 1-D weight (layer norms' scales) and ConvNeXt's layer
    /// scales (1e-6 at first, which would hide the blocks) in [0.5, 1.5], 1-D biases N(0, 0.1).
    /// </summary>
    private static void Randomize(nn.Module network, Tensor input, TorchSharp.torch.Generator random)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        foreach (var (_, parameter) in network.named_parameters())
            if (parameter.dim() >= 2) parameter.normal_(0, Math.Sqrt(2.0 / (parameter.numel() / parameter.shape[0])), random);
        foreach (var (key, parameter) in network.named_parameters())
        {
            if (parameter.dim() == 1 && key.EndsWith(".bias", StringComparison.Ordinal)) parameter.copy_(randn(parameter.shape, generator: random) * 0.1);
            else if (parameter.dim() == 1 && key.EndsWith(".weight", StringComparison.Ordinal)) parameter.copy_(rand(parameter.shape, generator: random) + 0.5);
            else if (key == "layer_scale" || key.EndsWith(".layer_scale", StringComparison.Ordinal)) parameter.copy_(rand(parameter.shape, generator: random) + 0.5);
        }
        var norms = network.modules().OfType<TorchSharp.Modules.BatchNorm2d>().Select(norm => (Momentum: (Action<double>)(m => norm.momentum = m), norm.running_mean, norm.running_var))
            .Concat(network.modules().OfType<TorchSharp.Modules.BatchNorm1d>().Select(norm => (Momentum: (Action<double>)(m => norm.momentum = m), norm.running_mean, norm.running_var)))
            .ToList();
        if (norms.Count == 0) return;
        foreach (var norm in norms) norm.Momentum(1.0);
        network.train();
        foreach (var dropout in network.modules().OfType<TorchSharp.Modules.Dropout>()) dropout.eval();
        // The test's own samples among 16, so its inputs' activations are ones the statistics have seen (a small map's
        // channel that the calibration saw nearly constant would otherwise magnify the eval pass's rounding).
        Zoo.Outputs(network, cat([input, randn([16 - input.shape[0], .. input.shape.Skip(1)], generator: random)], 0));
        network.eval();
        foreach (var (momentum, mean, variance) in norms)
        {
            momentum(0.1);
            // Small: over EfficientNet's hundred batch norms larger errors compound into outputs of 1e3 and more.
            mean!.add_(randn(mean.shape, generator: random) * 0.02 * variance!.sqrt());
            variance.mul_((rand(variance.shape, generator: random) * 0.1 - 0.05).exp());
        }
    }

    /// <summary>Debian's torch compares the batch; its files are deleted either way.</summary>
    private void Compare(List<Dictionary<string, object?>> batch)
    {
        var manifest = Path.Combine(_folder, "manifest.json");
        var results = Path.Combine(_folder, "results.json");
        try
        {
            File.WriteAllText(manifest, JsonSerializer.Serialize(new { networks = batch }));
            var script = Path.Combine(ReferenceData.RepositoryRoot, "tests", "fixtures", "pytorch", "compare_with_csharp.py");
            var clock = System.Diagnostics.Stopwatch.StartNew();
            var (code, output, error) = CnnGen.Tests.Shared.ChildProcess.Run("/usr/bin/python3", [script, manifest, results], TimeSpan.FromMinutes(20));
            Timings.Add($"Python, {batch.Count} networks: {clock.Elapsed.TotalSeconds:F1} s");
            if (code != 0)
                throw new InvalidOperationException($"compare_with_csharp.py failed ({code}); it needs Debian's python3-torch (/usr/bin/python3).\n{error}\n{output}");
            using var document = JsonDocument.Parse(File.ReadAllText(results));
            foreach (var property in document.RootElement.EnumerateObject()) _results[property.Name] = property.Value.Clone();
        }
        finally
        {
            foreach (var entry in batch)
                foreach (var file in new[] { (string)entry["weights"]!, (string)entry["io"]! }) File.Delete(file);
            File.Delete(manifest);
            File.Delete(results);
            batch.Clear();
        }
    }

    public void Dispose()
    {
        if (Directory.Exists(_folder)) Directory.Delete(_folder, recursive: true);
    }
}
