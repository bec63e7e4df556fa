using System.Collections.Immutable;
using Basic.Reference.Assemblies;
using CnnGen.Generator.Roslyn;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.Diagnostics;
using Microsoft.CodeAnalysis.Text;

namespace CnnGen.Generator.Tests;

/// <summary>Runs the real incremental generator inside an in-memory compilation, as the compiler does.</summary>
internal static class GeneratorHarness
{
    public sealed class YamlFile : AdditionalText
    {
        private readonly SourceText _text;

        public YamlFile(string path, string text)
        {
            Path = path;
            _text = SourceText.From(text);
        }

        public override string Path { get; }

        public override SourceText GetText(CancellationToken cancellationToken = default) => _text;
    }

    private sealed class Options(Dictionary<string, string> values) : AnalyzerConfigOptions
    {
        public override bool TryGetValue(string key, out string value) => values.TryGetValue(key, out value!);
    }

    private sealed class OptionsProvider(string @namespace) : AnalyzerConfigOptionsProvider
    {
        private readonly Options _global = new(new Dictionary<string, string> { ["build_property.CnnGenNamespace"] = @namespace });
        private readonly Options _empty = new(new Dictionary<string, string>());

        public override AnalyzerConfigOptions GlobalOptions => _global;

        public override AnalyzerConfigOptions GetOptions(SyntaxTree tree) => _empty;

        public override AnalyzerConfigOptions GetOptions(AdditionalText textFile) => _empty;
    }

    public static CSharpCompilation NewCompilation() => CSharpCompilation.Create(
        "Consumer",
        new[] { CSharpSyntaxTree.ParseText("namespace Consumer { internal static class Anchor { } }") },
        Net100.References.All.Concat(new[]
        {
            MetadataReference.CreateFromFile(typeof(TorchSharp.torch).Assembly.Location),
            MetadataReference.CreateFromFile(typeof(CnnGen.Runtime.ModuleGroup).Assembly.Location),
        }),
        new CSharpCompilationOptions(OutputKind.DynamicallyLinkedLibrary, nullableContextOptions: NullableContextOptions.Enable));

    public static GeneratorDriver NewDriver(IEnumerable<AdditionalText> files, string @namespace = "Consumer.Networks") =>
        CSharpGeneratorDriver.Create(
            new[] { new CnnGenerator().AsSourceGenerator() },
            files,
            (CSharpParseOptions)CSharpParseOptions.Default,
            new OptionsProvider(@namespace),
            new GeneratorDriverOptions(IncrementalGeneratorOutputKind.None, trackIncrementalGeneratorSteps: true));

    public static IEnumerable<YamlFile> ZooFiles() =>
        Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Zoo"), "*.cnn.yaml").Order(StringComparer.Ordinal)
            .Select(path => new YamlFile(path, File.ReadAllText(path)));
}
