namespace CnnGen.Architectures.Tests;

/// <summary>The reference cache is reused only for what made it: the same scripts, torch versions and arguments.</summary>
public class ReferenceDataTests
{
    private static readonly string[] Scripts = ["print('reference')", "MODELS = {}"];

    [Fact]
    public void A_cached_reference_is_named_by_its_scripts_versions_and_arguments()
    {
        var made = ReferenceData.MadeBy("1.13.1 0.14.1", ["--batch", "2"], Scripts);
        Assert.Equal(made, ReferenceData.MadeBy("1.13.1 0.14.1", ["--batch", "2"], Scripts));
        Assert.NotEqual(made, ReferenceData.MadeBy("2.1.0 0.16.0", ["--batch", "2"], Scripts));
        Assert.NotEqual(made, ReferenceData.MadeBy("1.13.1 0.14.1", ["--batch", "3"], Scripts));
        Assert.NotEqual(made, ReferenceData.MadeBy("1.13.1 0.14.1", ["--batch 2"], Scripts));
        Assert.NotEqual(made, ReferenceData.MadeBy("1.13.1 0.14.1", ["--batch", "2"], ["print('reference') ", "MODELS = {}"]));
        Assert.NotEqual(made, ReferenceData.MadeBy("1.13.1 0.14.1", ["--batch", "2"], ["print('reference')MODELS = {}", ""]));
    }

    [Fact]
    public void A_reference_folder_is_complete_or_absent()
    {
        // Whatever ran before, no half-written folder is left beside the finished ones.
        var folder = ReferenceData.Get("resnet18");
        Assert.True(File.Exists(Path.Combine(folder, "meta.json")));
        Assert.Contains("resnet18-default-", Path.GetFileName(folder));
        Assert.Empty(Directory.GetDirectories(ReferenceData.CacheRoot, $"{Path.GetFileName(folder)}.partial-*"));
    }
}
