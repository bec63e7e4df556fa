using System.Text.Json;
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
