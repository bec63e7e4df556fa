namespace CnnGen.Generator.Tests;

/// <summary>Every zoo file compiles without problems and matches its published parameter count.</summary>
public class ZooAnalysisTests
{
    public static TheoryData<string> ZooFiles()
    {
        var data = new TheoryData<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Zoo"), "*.cnn.yaml").Order(StringComparer.Ordinal))
            data.Add(Path.GetFileName(file));
        return data;
    }

    private static readonly string[] Unpublished = { "FcnResNet18" };

    [Theory]
    [MemberData(nameof(ZooFiles))]
    public void Zoo_file_compiles_cleanly_with_its_published_count(string file)
    {
        var result = Pipeline.CompileZoo(file);
        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));
        Assert.NotEmpty(result.Networks);
        Assert.Equal(result.Models.Count, result.Networks.Count);
        foreach (var model in result.Models)
        {
            // Examples that are not published networks (the deep-supervision segmentation head) have no number to meet.
            if (model.PublishedParameters is null) Assert.Contains(model.ClassName, Unpublished);
            else Assert.Equal(model.PublishedParameters, model.ParameterCount);
        }
    }
}
