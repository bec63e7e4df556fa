namespace CnnGen.Generator.Tests;

/// <summary>The generated source of a few networks, through the Roslyn driver, reviewed once and kept as snapshots.</summary>
public class SnapshotTests
{
    [Theory]
    [InlineData("lenet5.cnn.yaml", "LeNet5")]
    [InlineData("resnet18.cnn.yaml", "ResNet18")]
    [InlineData("vgg16_bn.cnn.yaml", "Vgg16Bn")]
    // split with an identity part, channel shuffle
    [InlineData("shufflenet_v2.cnn.yaml", "ShuffleNetV2")]
    // permute to channels-last and back, layer norm (both layouts), layer scale, stochastic depth
    [InlineData("convnext.cnn.yaml", "ConvNeXtTiny")]
    // named outputs: a block reading an outside value (the skip), transposed convolution, crop to another output, concat
    [InlineData("unet.cnn.yaml", "UNet")]
    [InlineData("unet_padded.cnn.yaml", "UNetPadded")]
    public void Generated_source_matches_snapshot(string file, string name)
    {
        // Through the Roslyn driver, as the compiler runs the generator: its output must compile and be what
        // the pure pipeline gives, and the snapshot (written by an earlier process) catches any output that
        // depends on the process (hash order).
        var text = ThroughDriver(Pipeline.ZooPath(file), "CnnGen.Architectures", name);
        var result = Pipeline.CompileZoo(file);
        Assert.Empty(result.Problems);
        Assert.Equal(result.Source, text);
        Snapshot.Verify(text, name);
    }

    [Theory]
    [InlineData("ConstructsPlain")]
    [InlineData("ConstructsAux")]
    public void Dense_blocks_scaled_residuals_aux_heads_and_variants_match_their_snapshots(string name)
    {
        var path = Path.Combine(TestsFolder(), "SnapshotInputs", "constructs.cnn.yaml");
        Snapshot.Verify(ThroughDriver(path, "Consumer.Networks", name), name);
    }

    /// <summary>The generator run by the Roslyn driver on one YAML file: no diagnostic, output that compiles, the class <paramref name="name"/>'s source.</summary>
    private static string ThroughDriver(string path, string @namespace, string name)
    {
        var driver = GeneratorHarness.NewDriver(new[] { new GeneratorHarness.YamlFile(path, File.ReadAllText(path)) }, @namespace);
        driver = driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.NewCompilation(), out var compilation, out var diagnostics);
        Assert.Empty(diagnostics);
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == Microsoft.CodeAnalysis.DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(5)));
        return driver.GetRunResult().Results.Single().GeneratedSources.Single(source => source.HintName.StartsWith(name + ".", StringComparison.Ordinal)).SourceText.ToString();
    }

    private static string TestsFolder([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.GetDirectoryName(file)!;

    /// <summary>
    /// Another process (its own string-hash seed, its own JIT) generates byte for byte what this one does:
    /// <c>cnngen generated</c> run as a child, for files with dense blocks, aux heads, variants and gates.
    /// </summary>
    [Theory]
    [InlineData("resnet50.cnn.yaml")]
    [InlineData("densenet.cnn.yaml")]
    [InlineData("googlenet.cnn.yaml")]
    [InlineData("efficientnet.cnn.yaml")]
    [InlineData("inception_v4.cnn.yaml")]
    public void A_second_process_generates_the_same_bytes(string file)
    {
        var here = string.Concat(Pipeline.CompileZoo(file).Networks.Select(network => network.Source));
        var (code, output, error) = CnnGen.Tests.Shared.ChildProcess.Run("dotnet",
            new[] { Path.Combine(AppContext.BaseDirectory, "cnngen.dll"), "generated", Pipeline.ZooPath(file), "--namespace", "CnnGen.Architectures" }, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, error);
        Assert.Equal(here, output);
    }

    [Fact]
    public void Snapshot_diff_shows_the_changed_lines()
    {
        var diff = Snapshot.Diff("a\nb\nc\nd", "a\nb\nX\nd");
        Assert.Contains("- c", diff);
        Assert.Contains("+ X", diff);
        Assert.Contains("@@ line 3 @@", diff);
    }
}
