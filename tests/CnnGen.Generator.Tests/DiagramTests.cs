using System.Diagnostics;
using System.IO.Compression;
using System.Text.RegularExpressions;
using CnnGen.Tool;

namespace CnnGen.Generator.Tests;

/// <summary>
/// Diagrams are checked as a person sees them: the SVG is rendered by headless Chromium (Debian's
/// chromium package, which .ci/run installs) to a PNG whose size and ink are then checked.
/// </summary>
public class DiagramTests
{
    private const string Chromium = "/usr/bin/chromium";

    [Fact]
    public void Repeated_blocks_are_drawn_once_with_a_badge_and_shapes_on_the_edges()
    {
        var svg = Diagram.Render(Pipeline.CompileZoo("inception_v4.cnn.yaml").Model!);
        Assert.Contains(">InceptionV4<", svg);
        Assert.Contains("42,679,816 parameters", svg);
        foreach (var badge in new[] { ">x4<", ">x7<", ">x3<" }) Assert.Contains(badge, svg);
        Assert.Contains(">384x35x35<", svg);
        var resnet = Diagram.Render(Pipeline.CompileZoo("resnet152.cnn.yaml").Model!);
        Assert.Contains(">x35<", resnet);
        Assert.Contains("marker-end=\"url(#arrow)\"", resnet);
    }

    [Fact]
    public void A_split_is_drawn_as_an_identity_part_beside_its_branch_and_a_gate_as_its_scale_path()
    {
        var shuffle = Diagram.Render(Pipeline.CompileZoo("shufflenet_v2.cnn.yaml").Model!);
        // stage2.1 to stage2.3 split the channels: one box, x3, the identity part drawn empty beside branch2.
        Assert.Contains(">stage2.1 - stage2.3<", shuffle);
        Assert.Contains(">split into 2 parts, concat, 3 convs, 9 layers, 7,598 params<", shuffle);
        Assert.Contains(">channel shuffle g=2<", shuffle);
        // One identity part a stage (the stride-2 unit opening it concatenates two branches of the whole input),
        // each an empty (white) part box.
        Assert.Contains(">stage3.0<", shuffle);
        Assert.Equal(3, Regex.Matches(shuffle, "fill=\"#ffffff\"[^\n]*\n<text[^>]*>identity<").Count);
        Assert.Equal(3, Regex.Matches(shuffle, ">identity<").Count);

        var efficient = Diagram.Render(Pipeline.CompileZoo("efficientnet.cnn.yaml").Models.Single(m => m.ClassName == "EfficientNetB0"));
        // The squeeze-and-excitation is drawn inside its MBConv block (not as a block of its own): 16 blocks in
        // 12 boxes, the first block of each stage apart from the residual ones after it.
        Assert.Equal(12, Regex.Matches(efficient, ">SE gate: avgpool &gt; conv 1x1 &gt; silu &gt; conv 1x1 &gt; sigmoid<").Count);
        Assert.DoesNotContain("block.", efficient);
        Assert.Contains(">features.2.0<", efficient);
        Assert.Contains(">features.6.1 - features.6.3<", efficient);
        Assert.Contains(">silu, stochastic depth<", efficient);

        var convnext = Diagram.Render(Pipeline.CompileZoo("convnext.cnn.yaml").Model!);
        Assert.Contains(">channels-last, layer norm, linear per pixel, gelu, layer scale,<", convnext);
        Assert.Contains(">x9<", convnext);
    }

    [Fact]
    public void Blocks_of_different_stages_do_not_collapse_and_long_ranges_stay_readable()
    {
        var regnet = Diagram.Render(Pipeline.CompileZoo("regnet.cnn.yaml").Model!);
        Assert.Contains(">trunk_output.block1.block1-0<", regnet);
        Assert.Contains(">trunk_output.block3.block3-1 - block3-5<", regnet);
        Assert.Contains(">x5<", regnet);
    }

    /// <summary>
    /// README promises every zoo class in docs/diagrams. They are what <c>cnngen diagram file -o docs/diagrams/Class.svg
    /// --class Class</c> writes; VERIFY_AUTOVERIFY=1 rewrites the stale or missing ones, as for snapshots.
    /// </summary>
    [Fact]
    public void Every_zoo_class_has_its_current_diagram_in_docs()
    {
        var folder = Path.GetFullPath(Path.Combine(RepoRoot(), "docs", "diagrams"));
        var stale = new List<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Zoo"), "*.cnn.yaml").Order(StringComparer.Ordinal))
        foreach (var model in Pipeline.CompileZoo(Path.GetFileName(file)).Models)
        {
            var path = Path.Combine(folder, model.ClassName + ".svg");
            var svg = Diagram.Render(model);
            if (File.Exists(path) && File.ReadAllText(path) == svg) continue;
            if (Environment.GetEnvironmentVariable("VERIFY_AUTOVERIFY") == "1") File.WriteAllText(path, svg);
            else stale.Add($"{model.ClassName} ({Path.GetFileName(file)})");
        }
        Assert.True(stale.Count == 0, $"docs/diagrams lacks or has an old diagram of {string.Join(", ", stale)}: " +
            "run cnngen diagram architectures/FILE -o docs/diagrams/CLASS.svg --class CLASS, or this test with VERIFY_AUTOVERIFY=1");
    }

    private static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.Combine(Path.GetDirectoryName(file)!, "..", "..");

    [Theory]
    [InlineData("resnet152.cnn.yaml")]
    [InlineData("inception_v4.cnn.yaml")]
    [InlineData("googlenet.cnn.yaml")]
    [InlineData("efficientnet.cnn.yaml")]
    [InlineData("shufflenet_v2.cnn.yaml")]
    public void Chromium_renders_the_diagram_readably(string file)
    {
        Assert.True(File.Exists(Chromium), $"{Chromium} is missing: apt-get install -y --no-install-recommends chromium (.ci/run does)");
        var model = Pipeline.CompileZoo(file).Models[0];
        var folder = Directory.CreateTempSubdirectory("cnngen-diagram-");
        try
        {
            var svgPath = Path.Combine(folder.FullName, "net.svg");
            var pngPath = Path.Combine(folder.FullName, "net.png");
            var svg = Diagram.Render(model);
            File.WriteAllText(svgPath, svg);
            var height = int.Parse(svg.Split("height=\"")[1].Split('"')[0]);
            // The deepest zoo networks must stay a reasonable picture.
            Assert.InRange(height, 200, 2000);
            var start = new ProcessStartInfo(Chromium) { RedirectStandardError = true, RedirectStandardOutput = true };
            foreach (var argument in new[] { "--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
                         "--disable-component-update", "--disable-sync", "--hide-scrollbars", $"--user-data-dir={Path.Combine(folder.FullName, "profile")}",
                         $"--screenshot={pngPath}", $"--window-size=520,{height}", "file://" + svgPath })
                start.ArgumentList.Add(argument);
            using (var process = Process.Start(start)!)
            {
                process.StandardOutput.ReadToEndAsync();
                process.StandardError.ReadToEndAsync();
                if (!process.WaitForExit(60_000))
                {
                    // A hung browser must not outlive the test (nor keep its profile folder busy).
                    process.Kill(entireProcessTree: true);
                    process.WaitForExit();
                    Assert.Fail("chromium did not finish in 60 s and was killed");
                }
            }
            Assert.True(File.Exists(pngPath), "chromium wrote no screenshot");
            var (width, pngHeight, ink) = Inspect(File.ReadAllBytes(pngPath));
            Assert.Equal(520, width);
            Assert.Equal(height, pngHeight);
            Assert.InRange(ink, 0.02, 0.6);
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    /// <summary>Width, height and the share of non-white bytes of an 8-bit RGB(A) PNG.</summary>
    private static (int Width, int Height, double Ink) Inspect(byte[] png)
    {
        static int Int(byte[] b, int at) => b[at] << 24 | b[at + 1] << 16 | b[at + 2] << 8 | b[at + 3];
        var width = Int(png, 16);
        var height = Int(png, 20);
        using var idat = new MemoryStream();
        for (var at = 8; at < png.Length;)
        {
            var length = Int(png, at);
            var type = System.Text.Encoding.ASCII.GetString(png, at + 4, 4);
            if (type == "IDAT") idat.Write(png, at + 8, length);
            at += 12 + length;
        }
        idat.Position = 0;
        using var inflated = new MemoryStream();
        using (var zlib = new ZLibStream(idat, CompressionMode.Decompress)) zlib.CopyTo(inflated);
        var pixels = inflated.ToArray();
        // Filtered rows: non-zero filtered bytes approximate the non-uniform (inked) parts of the image.
        var ink = pixels.Count(b => b != 0 && b != 255);
        return (width, height, (double)ink / pixels.Length);
    }
}
