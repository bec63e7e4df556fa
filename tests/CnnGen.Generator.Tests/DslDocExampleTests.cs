using System.Runtime.CompilerServices;

namespace CnnGen.Generator.Tests;

/// <summary>The example of docs/dsl.md's "Lists, blocks and joins" compiles, and its names and sizes are the ones the page states.</summary>
public class DslDocExampleTests
{
    private static string DslPage([CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", "..", "docs", "dsl.md"));

    /// <summary>The page's YAML block that starts with <c>name: ListsAndBlocks</c>.</summary>
    private static string Example()
    {
        var text = File.ReadAllText(DslPage());
        var start = text.IndexOf("```yaml\nname: ListsAndBlocks", StringComparison.Ordinal);
        Assert.True(start >= 0, "docs/dsl.md lost its ListsAndBlocks example");
        start += "```yaml\n".Length;
        return text[start..text.IndexOf("```", start, StringComparison.Ordinal)];
    }

    [Fact]
    public void The_lists_blocks_and_joins_example_gives_the_names_the_page_states()
    {
        var result = Pipeline.Compile(Example());
        Assert.False(result.HasErrors, string.Join("\n", result.Problems));
        var model = result.Model!;
        var keys = model.StateDict.Tensors.Where(tensor => tensor.Kind == Layers.StateTensorKind.Parameter).Select(tensor => tensor.Name).ToList();
        Assert.Equal(
            [
                "features.0.0.weight", "features.0.0.bias",                     // a list inside a list
                "features.1.weight",                                            // the spliced block: conv, bn, relu at .1-.3
                "features.2.weight", "features.2.bias",
                "features.4.conv.weight", "features.4.conv.bias",               // 2x unit at the next indices
                "features.5.conv.weight", "features.5.conv.bias",
                "mixed.b1.weight", "mixed.b1.bias", "mixed.b2.weight", "mixed.b2.bias",
                "mixed.bn.weight", "mixed.bn.bias",
                "fc.weight", "fc.bias",
            ],
            keys);
        Assert.Contains(model.StateDict.Tensors, tensor => tensor.Name == "mixed.bn.running_var");
        // The norm after the concat sees both branches' channels.
        Assert.Equal("16x32x32", string.Join("x", model.Layers.Single(row => row.Path == "mixed.bn").Output.Concrete));
        Assert.Equal("relu", model.Layers.Single(row => row.Path == "features.3").Type);
    }
}
