using BenchmarkDotNet.Attributes;
using CnnGen.Generator;
using Microsoft.CodeAnalysis.CSharp;

namespace CnnGen.Benchmarks;

/// <summary>
/// The generator's work for the whole zoo (27 files, 35 classes): the pure pipeline (YAML to C#), and the
/// compiler parsing what it emits, which Roslyn's driver counts as generator time in the
/// <c>-p:ReportAnalyzer=true</c> report (docs/performance.md).
/// </summary>
[MemoryDiagnoser(displayGenColumns: false)]
public class GeneratorBenchmarks
{
    private (string Path, string Text)[] _files = [];
    private string[] _sources = [];

    [GlobalSetup]
    public void Setup()
    {
        _files = Directory.GetFiles(Zoo.Folder(), "*.cnn.yaml").Order(StringComparer.Ordinal).Select(path => (path, File.ReadAllText(path))).ToArray();
        _sources = _files.SelectMany(file => CompileNetwork.Run(file.Path, file.Text, "CnnGen.Architectures").Networks).Select(network => network.Source).ToArray();
        if (_sources.Length == 0) throw new InvalidOperationException("The zoo compiled to nothing.");
    }

    [Benchmark(Description = "pipeline: YAML -> C# for the zoo")]
    public int Pipeline()
    {
        var classes = 0;
        foreach (var (path, text) in _files) classes += CompileNetwork.Run(path, text, "CnnGen.Architectures").Networks.Count;
        return classes;
    }

    [Benchmark(Description = "compiler parsing the emitted C#")]
    public int Parse()
    {
        var nodes = 0;
        foreach (var source in _sources) nodes += CSharpSyntaxTree.ParseText(source).GetRoot().FullSpan.Length;
        return nodes;
    }
}

/// <summary>Where the zoo's YAML files are: architectures/ of the repository this was built from (recorded by the project file).</summary>
internal static class Zoo
{
    public static string Folder() =>
        Path.Combine(typeof(Zoo).Assembly.GetCustomAttributes(typeof(System.Reflection.AssemblyMetadataAttribute), false)
            .Cast<System.Reflection.AssemblyMetadataAttribute>().Single(a => a.Key == "CnnGenRepoRoot").Value!, "architectures");
}
