using System.Diagnostics;
using System.IO.Compression;
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

    [Theory]
    [InlineData("resnet152.cnn.yaml")]
    [InlineData("inception_v4.cnn.yaml")]
    [InlineData("googlenet.cnn.yaml")]
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
                Assert.True(process.WaitForExit(60_000), "chromium did not finish in 60 s");
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
