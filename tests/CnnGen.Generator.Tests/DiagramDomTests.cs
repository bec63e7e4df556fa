using System.Text.Json;
using System.Text.RegularExpressions;
using CnnGen.Generator.Analysis;
using CnnGen.Tool;
using Microsoft.Playwright;

namespace CnnGen.Generator.Tests;

/// <summary>
/// Every committed diagram (docs/diagrams) as a reader gets it: opened in Chromium, and checked on the rendered
/// DOM by DiagramDomChecks.js. The XML must parse (a raw '&amp;' makes Chromium show its error page over half a
/// picture), the boxes must be the network's blocks, and no label may run out of its box, overlap another or
/// the badge, nor an arrow end off the boxes it joins.
/// </summary>
public class DiagramDomTests(ChromiumFixture chromium) : IClassFixture<ChromiumFixture>
{
    private static readonly string Folder = Path.GetFullPath(Path.Combine(DiagramTests.RepoRoot(), "docs", "diagrams"));

    /// <summary>The zoo's classes by name, compiled once for all the diagrams.</summary>
    private static readonly Lazy<Dictionary<string, NetworkModel>> ZooModels = new(() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Zoo"), "*.cnn.yaml")
            .SelectMany(file => Pipeline.CompileZoo(Path.GetFileName(file)).Models)
            .ToDictionary(model => model.ClassName));

    public static TheoryData<string> Diagrams() => new(Directory.GetFiles(Folder, "*.svg").Select(Path.GetFileNameWithoutExtension).Order(StringComparer.Ordinal)!);

    [Theory]
    [MemberData(nameof(Diagrams))]
    public async Task The_diagram_parses_and_every_label_and_arrow_stays_on_its_box(string className)
    {
        Assert.True(ZooModels.Value.TryGetValue(className, out var model), $"docs/diagrams/{className}.svg is of no zoo class");
        var report = await ChromiumFixture.Within(Check(Path.Combine(Folder, className + ".svg")), $"checking docs/diagrams/{className}.svg");
        Assert.True(report.ParseErrors == 0 && report.Root == "svg", $"Chromium could not parse docs/diagrams/{className}.svg (root <{report.Root}>, {report.ParseErrors} parser errors)");
        Assert.Equal(Diagram.Boxes(model).Select(box => box.Label ?? box.Title), report.Boxes);
        // Repeats collapse, so the deepest networks stay a picture one can take in (EfficientNet-B1's 16 boxes are the tallest).
        Assert.InRange(report.Height, 200, 2500);
        Assert.True(report.Problems.Count == 0, $"docs/diagrams/{className}.svg:\n" + string.Join("\n", report.Problems));
    }

    /// <summary>The checks themselves fail a broken picture: the raw '&amp;', a label too long for its branch, an arrow short of its box.</summary>
    [Fact]
    public async Task A_broken_copy_of_a_diagram_fails_the_checks()
    {
        var svg = File.ReadAllText(Path.Combine(Folder, "InceptionV4.svg"));
        var halfway = svg.IndexOf("</text>", svg.Length / 2, StringComparison.Ordinal);
        var unparsed = await CheckText(svg.Insert(halfway, " & "));
        Assert.True(unparsed.ParseErrors > 0 || unparsed.Root != "svg", "a raw '&' halfway was not seen");

        var overflowing = await CheckText(svg.Replace(">1x1-(1x3|3x1)<", ">1x1 conv, then 1x3 and 3x1 side by side<"));
        Assert.Contains(overflowing.Problems, problem => problem.Contains("runs out of branch \"inception-C\""));

        var edge = Regex.Match(svg, "<line x1=\"260\" y1=\"(\\d+)\" x2=\"260\" y2=\"(\\d+)\"");
        var shortArrow = await CheckText(svg.Replace(edge.Value, edge.Value.Replace($"y2=\"{edge.Groups[2].Value}\"", $"y2=\"{int.Parse(edge.Groups[2].Value) - 6}\"")));
        Assert.Contains(shortArrow.Problems, problem => problem.StartsWith("edge 0 ends at", StringComparison.Ordinal));
    }

    private async Task<DomReport> CheckText(string svg)
    {
        var folder = Directory.CreateTempSubdirectory("cnngen-diagram-");
        try
        {
            var path = Path.Combine(folder.FullName, "broken.svg");
            File.WriteAllText(path, svg);
            return await ChromiumFixture.Within(Check(path), "checking a broken diagram");
        }
        finally
        {
            folder.Delete(recursive: true);
        }
    }

    private async Task<DomReport> Check(string svgPath)
    {
        var page = await chromium.Browser.NewPageAsync();
        try
        {
            page.SetDefaultTimeout((float)ChromiumFixture.Limit.TotalMilliseconds);
            await page.GotoAsync(new Uri(svgPath).AbsoluteUri);
            var json = await page.EvaluateAsync<string>(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "DiagramDomChecks.js")));
            return JsonSerializer.Deserialize<DomReport>(json, new JsonSerializerOptions { PropertyNameCaseInsensitive = true })!;
        }
        finally
        {
            await page.CloseAsync();
        }
    }

    /// <summary>What DiagramDomChecks.js found: the root element's name, Chromium's parser errors, the picture's height, the boxes' titles, the problems seen.</summary>
    private sealed record DomReport(string Root, int ParseErrors, double Height, List<string> Boxes, List<string> Problems);
}
