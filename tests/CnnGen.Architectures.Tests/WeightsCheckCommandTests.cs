using System.IO.Compression;
using CnnGen.Architectures;
using CnnGen.Runtime.Weights;
using CnnGen.Tool;
using Spectre.Console;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// <c>cnngen weights check</c> on files Debian's torch wrote (make_head_cases.py and make_check_cases.py, cached
/// once per script version): the report, the exit code a strict LoadWeights with the same options implies, and a
/// one-line message for files that are not weights.
/// </summary>
public class WeightsCheckCommandTests(ITestOutputHelper log)
{
    private static readonly Lazy<string> HeadCases = new(ReferenceData.GetHeadCases);
    private static readonly Lazy<string> CheckCases = new(ReferenceData.GetCheckCases);

    private static string Network(string file) => Path.Combine(AnalysedZoo.Folder, file);

    private static string HeadCase(string file) => Path.Combine(HeadCases.Value, file);

    private sealed record Outcome(int Code, string Output, string Error)
    {
        /// <summary>The table row of <paramref name="key"/> (its first cell), or null; never the summary lines, which name keys too.</summary>
        public string? Row(string key) => Output.Split('\n').FirstOrDefault(line => line.StartsWith($"│ {key} ", StringComparison.Ordinal));
    }

    private Outcome Check(params string[] words)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Ansi = AnsiSupport.No, ColorSystem = ColorSystemSupport.NoColors, Out = new AnsiConsoleOutput(output) });
        console.Profile.Width = 200;
        var code = WeightsCheck.Run(words, console, error);
        log.WriteLine($"cnngen weights check {string.Join(" ", words)}: exit {code}\n{output}{error}");
        return new Outcome(code, output.ToString(), error.ToString());
    }

    [Fact]
    public void The_torchvision_ResNet18_file_fits_ResNet18()
    {
        var outcome = Check(Network("resnet18.cnn.yaml"), HeadCase("resnet18.pth"));
        Assert.Equal(0, outcome.Code);
        Assert.Contains("122 of 122 network tensors loadable", outcome.Output);
        Assert.Contains("fits: a strict LoadWeights with these options would load 122 tensors", outcome.Output);
        Assert.DoesNotContain("Status", outcome.Output);
    }

    [Theory]
    [InlineData("resnet18_legacy.pth")]
    [InlineData("resnet18_wrapped.pth")]
    public void Legacy_and_wrapped_module_prefixed_checkpoints_are_read_as_LoadWeights_reads_them(string file)
    {
        var outcome = Check(Network("resnet18.cnn.yaml"), Path.Combine(CheckCases.Value, file));
        Assert.Equal(0, outcome.Code);
        Assert.Contains("122 of 122 network tensors loadable", outcome.Output);
    }

    [Fact]
    public void A_1000_class_file_does_not_fit_a_10_class_ResNet50_but_fine_tunes_it_with_a_new_head()
    {
        var strict = Check(Network("resnet50.cnn.yaml"), HeadCase("resnet50.pth"), "--arg", "num_classes=10");
        Assert.Equal(1, strict.Code);
        Assert.Contains("file [1000,2048], network [10,2048]", strict.Row("fc.weight"));
        Assert.Contains("file [1000], network [10]", strict.Row("fc.bias"));
        Assert.Contains("does not fit: 2 shape mismatches", strict.Output);

        var newHead = Check(Network("resnet50.cnn.yaml"), HeadCase("resnet50.pth"), "--arg", "num_classes=10", "--new-head");
        Assert.Equal(0, newHead.Code);
        Assert.Contains("skipped", newHead.Row("fc.weight"));
        Assert.Contains("new head (file [1000,2048], module [10,2048])", newHead.Row("fc.weight"));
        Assert.Contains("new head (file [1000], module [10])", newHead.Row("fc.bias"));
        Assert.Contains("318 of 320 network tensors loadable", newHead.Output);

        // What the check promises is what the load does.
        using var model = new ResNet50(numClasses: 10);
        Assert.Throws<WeightsLoadException>(() => model.LoadWeights(HeadCase("resnet50.pth"), new WeightsOptions()));
        Assert.Equal(318, model.LoadWeights(HeadCase("resnet50.pth"), new WeightsOptions { NewHead = true }).LoadedCount);
    }

    [Fact]
    public void GoogLeNet_drops_the_files_aux_heads_unless_asked_to_keep_them()
    {
        var dropped = Check(Network("googlenet.cnn.yaml"), HeadCase("googlenet.pth"), "--class", "GoogLeNet");
        Assert.Equal(0, dropped.Code);
        Assert.Contains("aux head not in this class", dropped.Row("aux1.fc2.weight"));
        Assert.Contains("aux head not in this class", dropped.Row("aux2.conv.bn.num_batches_tracked"));
        Assert.Equal(20, dropped.Output.Split('\n').Count(line => line.Contains("aux head not in this class")));

        var kept = Check(Network("googlenet.cnn.yaml"), HeadCase("googlenet.pth"), "--class", "GoogLeNet", "--keep-aux");
        Assert.Equal(1, kept.Code);
        Assert.Contains("unexpected", kept.Row("aux1.fc2.weight"));
        Assert.Contains("does not fit: 18 unexpected keys", kept.Output);

        // The file carries both heads: the class with them loads it whole.
        Assert.Equal(0, Check(Network("googlenet.cnn.yaml"), HeadCase("googlenet.pth"), "--class", "GoogLeNetAux", "--keep-aux").Code);
    }

    [Fact]
    public void A_one_channel_ResNet18_adapts_the_files_stem_when_asked()
    {
        var plain = Check(Network("resnet18.cnn.yaml"), HeadCase("resnet18.pth"), "--arg", "in_channels=1");
        Assert.Equal(1, plain.Code);
        Assert.Contains("file [64,3,7,7], network [64,1,7,7]", plain.Row("conv1.weight"));

        var adapted = Check(Network("resnet18.cnn.yaml"), HeadCase("resnet18.pth"), "--arg", "in_channels=1", "--adapt-stem");
        Assert.Equal(0, adapted.Code);
        Assert.Contains("adapted", adapted.Row("conv1.weight"));
        Assert.Contains("stem adapted from 3 to 1 input channels (summed over the 3 input channels", adapted.Row("conv1.weight"));
        Assert.Contains("122 of 122 network tensors loadable (1 adapted)", adapted.Output);
    }

    [Fact]
    public void Files_that_are_not_weights_get_one_line_naming_the_file_and_exit_code_2()
    {
        var folder = Directory.CreateTempSubdirectory("cnngen-weights-check-");
        try
        {
            var missing = Path.Combine(folder.FullName, "missing.pth");
            var garbage = Path.Combine(folder.FullName, "garbage.pth");
            File.WriteAllBytes(garbage, Enumerable.Range(0, 4096).Select(i => (byte)(i * 37 + 11)).ToArray());
            var notWeights = Path.Combine(folder.FullName, "notes.zip");
            using (var zip = ZipFile.Open(notWeights, ZipArchiveMode.Create))
            using (var writer = new StreamWriter(zip.CreateEntry("notes/readme.txt").Open()))
                writer.Write("not a checkpoint");

            // A legacy-format pickle whose first op loads os.system: what a malicious .pth does to torch.load.
            var hostile = Path.Combine(folder.FullName, "hostile.pth");
            File.WriteAllBytes(hostile, new byte[] { 0x80, 0x02 }.Concat("cos\nsystem\n"u8.ToArray()).Concat(new[] { (byte)'.' }).ToArray());

            foreach (var (file, message) in new[]
                     {
                         (missing, "no such file"),
                         (garbage, "neither safetensors"),
                         (notWeights, "no '<name>/data.pkl' entry"),
                         (hostile, "'os.system' is not allowed"),
                     })
            {
                var outcome = Check(Network("resnet18.cnn.yaml"), file);
                Assert.Equal(2, outcome.Code);
                var line = Assert.Single(outcome.Error.Split('\n', StringSplitOptions.RemoveEmptyEntries));
                Assert.Contains(file, line);
                Assert.Contains(message, line);
                Assert.Empty(outcome.Output);
            }
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Theory]
    [InlineData("--arg", "classes=10", "ResNet18 has no model argument 'classes'")]
    [InlineData("--arg", "num_classes=ten", "ResNet18's num_classes is int")]
    [InlineData("--class", "ResNet50", "has no class ResNet50 (it has ResNet18)")]
    [InlineData("--frobnicate", null, "unknown option '--frobnicate'")]
    public void Usage_errors_exit_with_2_and_say_what_is_wrong(string option, string? value, string message)
    {
        var words = new List<string> { Network("resnet18.cnn.yaml"), HeadCase("resnet18.pth"), option };
        if (value is not null) words.Add(value);
        var outcome = Check(words.ToArray());
        Assert.Equal(2, outcome.Code);
        Assert.Contains(message, outcome.Error);
        Assert.Empty(outcome.Output);
    }

    [Fact]
    public void Missing_unexpected_and_unconvertible_keys_each_get_a_row_and_exit_code_1()
    {
        var folder = Directory.CreateTempSubdirectory("cnngen-weights-check-");
        try
        {
            var yaml = Path.Combine(folder.FullName, "tiny.cnn.yaml");
            File.WriteAllText(yaml, "name: Tiny\ninput: [3, 8, 8]\nlayers:\n  conv: conv(4, k=3)\n  pool: gap\n  fc: linear(2)\n");
            var weights = Path.Combine(folder.FullName, "tiny.safetensors");
            using (var scope = NewDisposeScope())
                SafetensorsWriter.Write(weights, new Dictionary<string, Tensor>
                {
                    // Integer data where a float weight belongs (a quantized file), fc.bias absent, a stray key.
                    ["conv.weight"] = zeros(new long[] { 4, 3, 3, 3 }, ScalarType.Int32), ["conv.bias"] = zeros(4),
                    ["fc.weight"] = zeros(2, 4), ["head.extra"] = zeros(2),
                }, null);

            var outcome = Check(yaml, weights);

            Assert.Equal(1, outcome.Code);
            Assert.Contains("dtype", outcome.Row("conv.weight"));
            Assert.Contains("I32 is not a floating-point type", outcome.Row("conv.weight"));
            Assert.Contains("not in the file (network [2])", outcome.Row("fc.bias"));
            Assert.Contains("unexpected", outcome.Row("head.extra"));
            Assert.Contains("2 of 4 network tensors loadable", outcome.Output);
            Assert.Contains("does not fit: 1 missing key: fc.bias; 1 unexpected key: head.extra; 1 dtype mismatch", outcome.Output);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    [Fact]
    public void Keys_under_a_CSharp_layer_are_not_checked_rather_than_unexpected()
    {
        // A project (it has a .csproj) with a [CnnLayer] class, a network using it, and a file with a tensor under it.
        var project = Directory.CreateTempSubdirectory("cnngen-weights-check-project-");
        try
        {
            File.WriteAllText(Path.Combine(project.FullName, "App.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk\" />");
            File.WriteAllText(Path.Combine(project.FullName, "Gate.cs"),
                "using CnnGen.Runtime;\nnamespace App;\n[CnnLayer(\"gate2\", Arguments = \"reduction: int = 4\", Parameters = \"2 * in * (in // reduction)\")]\npublic sealed class Gate { }\n");
            var yaml = Path.Combine(project.FullName, "net.cnn.yaml");
            File.WriteAllText(yaml, "name: Net\ninput: [8, 16, 16]\nlayers:\n  conv: conv(8, k=3, p=1)\n  attn: gate2(reduction=2)\n  pool: gap\n  fc: linear(10)\n");
            var weights = Path.Combine(project.FullName, "net.safetensors");
            using (var scope = NewDisposeScope())
                SafetensorsWriter.Write(weights, new Dictionary<string, Tensor>
                {
                    ["conv.weight"] = zeros(8, 8, 3, 3), ["conv.bias"] = zeros(8),
                    ["attn.fc.weight"] = zeros(4, 8),
                    ["fc.weight"] = zeros(10, 8), ["fc.bias"] = zeros(10),
                }, null);

            var outcome = Check(yaml, weights);

            Assert.Equal(0, outcome.Code);
            Assert.Contains("not checked (C# layer)", outcome.Row("attn.fc.weight"));
            Assert.Contains("4 of 4 network tensors loadable", outcome.Output);
        }
        finally
        {
            project.Delete(recursive: true);
        }
    }
}
