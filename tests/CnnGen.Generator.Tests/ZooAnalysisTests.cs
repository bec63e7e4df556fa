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

    [Theory]
    [MemberData(nameof(ZooFiles))]
    public void Zoo_file_compiles_cleanly_with_its_published_count(string file)
    {
        var result = Pipeline.CompileZoo(file);
        Assert.True(result.Problems.Count == 0, string.Join("\n", result.Problems));
        Assert.NotNull(result.Source);
        Assert.NotNull(result.Model!.PublishedParameters);
        Assert.Equal(result.Model.PublishedParameters, result.Model.ParameterCount);
    }
}
