using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Roslyn;
using CnnGen.Tool;

namespace CnnGen.Generator.Tests;

/// <summary>
/// 'cnngen explain CNN00NN' prints the help page from the tool itself (embedded, so it works outside the
/// repository), and no diagnostic points at a web location that does not exist.
/// </summary>
public class ExplainTests
{
    private static string Docs([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", "..", "docs", "diagnostics"));

    [Fact]
    public void Explain_prints_every_catalog_ids_page_as_written_in_docs()
    {
        foreach (var info in DiagnosticCatalog.All)
        {
            var output = new StringWriter();
            Assert.Equal(0, Commands.Explain(info.Id, output, TextWriter.Null));
            Assert.Equal(File.ReadAllText(Path.Combine(Docs(), info.Id + ".md")), output.ToString());
        }
    }

    [Fact]
    public void The_readme_lists_every_diagnostic_with_its_severity()
    {
        var readme = File.ReadAllText(Path.Combine(Docs(), "..", "..", "README.md"));
        var missing = DiagnosticCatalog.All
            .Where(info => !readme.Contains($"| {info.Id} | {(info.Severity == ProblemSeverity.Error ? "error" : "warning")} |", StringComparison.Ordinal))
            .Select(info => info.Id).ToList();
        Assert.True(missing.Count == 0, $"README.md's diagnostics table lacks {string.Join(", ", missing)}");
    }

    [Fact]
    public void Explain_accepts_an_id_in_any_case()
    {
        var output = new StringWriter();
        Assert.Equal(0, Commands.Explain("cnn0011", output, TextWriter.Null));
        Assert.StartsWith("# CNN0011: Parameter count differs from the published number", output.ToString());
    }

    [Theory]
    [InlineData("CNN0099")]
    [InlineData("CS0001")]
    [InlineData("")]
    public void Explain_refuses_an_unknown_id_with_the_valid_ones_and_exit_code_2(string id)
    {
        var output = new StringWriter();
        var error = new StringWriter();
        Assert.Equal(2, Commands.Explain(id, output, error));
        Assert.Equal("", output.ToString());
        Assert.Contains($"'{id}' is not a CnnGen diagnostic", error.ToString());
        foreach (var info in DiagnosticCatalog.All) Assert.Contains(info.Id, error.ToString());
    }

    [Fact]
    public void The_tool_embeds_exactly_the_pages_of_the_catalog()
    {
        var embedded = typeof(HelpPages).Assembly.GetManifestResourceNames().Where(name => name.StartsWith("diagnostics/")).Order().ToList();
        Assert.Equal(DiagnosticCatalog.All.Select(info => $"diagnostics/{info.Id}.md").Order(), embedded);
    }

    [Fact]
    public void No_descriptor_links_to_a_location_that_does_not_exist()
    {
        // There is no public repository (github.com/cnngen/cnngen does not exist), so a diagnostic carries
        // no help link; its description names the command that prints the page instead.
        foreach (var info in DiagnosticCatalog.All)
        {
            var descriptor = DiagnosticDescriptors.Get(info.Id);
            Assert.True(descriptor.HelpLinkUri == "", $"{info.Id} links to {descriptor.HelpLinkUri}");
            Assert.Contains($"cnngen explain {info.Id}", descriptor.Description.ToString());
        }
    }
}
