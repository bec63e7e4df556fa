using CnnGen.Generator.Layers;
using CnnGen.Generator.Roslyn;

namespace CnnGen.Tool;

/// <summary>
/// The <c>[CnnLayer]</c> classes of the project a YAML file belongs to, so that <c>check</c> and <c>summary</c>
/// know the layers the build will know: the C# files under the nearest folder above the YAML that holds a
/// project file, bin/ and obj/ left out (without a project, only those beside the YAML: a YAML in a home
/// or temporary folder must not make the tool read the whole tree), read as source text
/// (<see cref="CustomLayerSyntaxReader"/>).
/// </summary>
internal static class ProjectLayers
{
    /// <summary>More C# files than a project of layers has; beyond it the folder is not a project (a home folder, say).</summary>
    private const int MostFiles = 2000;

    public static IReadOnlyList<CustomLayerSpec> Find(string yamlPath)
    {
        var beside = Path.GetDirectoryName(Path.GetFullPath(yamlPath))!;
        var project = ProjectFolder(beside);
        var files = project is null ? Directory.EnumerateFiles(beside, "*.cs") : SourceFiles(project);
        var specs = new List<CustomLayerSpec>();
        foreach (var file in files.Take(MostFiles))
        {
            string text;
            try
            {
                text = File.ReadAllText(file);
            }
            catch (IOException)
            {
                continue;
            }
            catch (UnauthorizedAccessException)
            {
                continue;
            }
            if (text.Contains("CnnLayer", StringComparison.Ordinal)) specs.AddRange(CustomLayerSyntaxReader.Read(text, file));
        }
        return specs;
    }

    private static string? ProjectFolder(string start)
    {
        for (var folder = start; folder is not null; folder = Path.GetDirectoryName(folder))
            if (Directory.EnumerateFiles(folder, "*.csproj").Any()) return folder;
        return null;
    }

    private static IEnumerable<string> SourceFiles(string folder)
    {
        var options = new EnumerationOptions { RecurseSubdirectories = false, IgnoreInaccessible = true };
        foreach (var file in Directory.EnumerateFiles(folder, "*.cs", options)) yield return file;
        foreach (var sub in Directory.EnumerateDirectories(folder, "*", options))
        {
            var name = Path.GetFileName(sub);
            if (name is "bin" or "obj" || name.StartsWith('.')) continue;
            foreach (var file in SourceFiles(sub)) yield return file;
        }
    }
}
