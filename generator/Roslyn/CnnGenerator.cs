using System.Collections.Generic;
using System.Collections.Immutable;
using System.IO;
using System.Linq;
using CnnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.Text;

namespace CnnGen.Generator.Roslyn;

/// <summary>
/// The thin Roslyn glue: every AdditionalFile named <c>*.cnn.yaml</c> goes through
/// <see cref="CompileNetwork"/>; the C# source is added and the problems are reported at the YAML
/// locations. Each file is its own pipeline item, so editing one network regenerates only that one.
/// </summary>
[Generator(LanguageNames.CSharp)]
public sealed class CnnGenerator : IIncrementalGenerator
{
    public const string Extension = ".cnn.yaml";
    public const string DefaultNamespace = "CnnGen.Networks";

    public static class TrackingNames
    {
        public const string Files = nameof(Files);
        public const string Compiled = nameof(Compiled);
        public const string Namespace = nameof(Namespace);
        public const string CustomLayers = nameof(CustomLayers);
    }

    private sealed record NetworkFile(string Path, string Text);

    public void Initialize(IncrementalGeneratorInitializationContext context)
    {
        var files = context.AdditionalTextsProvider
            .Where(file => file.Path.EndsWith(Extension, System.StringComparison.OrdinalIgnoreCase))
            .Select((file, cancellationToken) => new NetworkFile(file.Path, file.GetText(cancellationToken)?.ToString() ?? ""))
            .WithTrackingName(TrackingNames.Files);

        var ns = context.AnalyzerConfigOptionsProvider
            .Select((options, _) =>
            {
                options.GlobalOptions.TryGetValue("build_property.CnnGenNamespace", out var configured);
                options.GlobalOptions.TryGetValue("build_property.RootNamespace", out var root);
                return !string.IsNullOrWhiteSpace(configured) ? configured!.Trim() : !string.IsNullOrWhiteSpace(root) ? root!.Trim() : DefaultNamespace;
            })
            .WithTrackingName(TrackingNames.Namespace);

        // Layers written in C# ([CnnLayer]): read once per declaration, as values, so editing C# that
        // declares none leaves every network cached.
        var customLayers = context.SyntaxProvider
            .ForAttributeWithMetadataName(CustomLayerReader.AttributeMetadataName,
                static (node, _) => node is Microsoft.CodeAnalysis.CSharp.Syntax.ClassDeclarationSyntax,
                static (attributeContext, cancellationToken) => CustomLayerReader.Read(attributeContext, cancellationToken))
            .Collect()
            .Select(static (specs, _) => specs.ToEquatableArray())
            .WithTrackingName(TrackingNames.CustomLayers);

        var compiled = files.Combine(ns).Combine(customLayers)
            .Select((pair, cancellationToken) => CompileNetwork.Run(pair.Left.Left.Path, pair.Left.Left.Text, pair.Left.Right, pair.Right, cancellationToken) with { Models = System.Array.Empty<Analysis.NetworkModel>() })
            .WithTrackingName(TrackingNames.Compiled);

        context.RegisterSourceOutput(customLayers, static (output, specs) => ReportCustomLayers(output, specs));

        context.RegisterSourceOutput(compiled, static (output, result) =>
        {
            Report(output, result);
            AddNetworkSources(output, result);
        });
        context.RegisterSourceOutput(compiled.Collect(), static (output, results) => AddCatalog(output, results));
    }

    private static void Report(SourceProductionContext output, CompileResult result)
    {
        foreach (var problem in result.Problems)
        {
            var related = problem.Related is { } site ? new[] { ToLocation(result.Path, site) } : null;
            output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.Get(problem.Id), ToLocation(result.Path, problem.Span), related, problem.Message));
        }
    }

    /// <summary>What is wrong with a [CnnLayer] declaration, at its place in the C# file.</summary>
    private static void ReportCustomLayers(SourceProductionContext output, EquatableArray<Layers.CustomLayerSpec> specs)
    {
        foreach (var (spec, problem) in Layers.CustomLayerSet.Problems(specs))
            output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.Get(problem.Id), ToLocation(spec.SourcePath, problem.Span), problem.Message));
    }

    /// <summary>Two files that produce the same class would make the compilation fail obscurely; say so at both.</summary>
    /// <summary>
    /// Each file's classes are added by that file's own output, so an edit re-adds (and the compiler
    /// re-parses) only the edited network's source. Hint names carry a hash of the file's path, so
    /// two files that name the same class never collide (that case is reported by <see cref="AddCatalog"/>).
    /// </summary>
    private static void AddNetworkSources(SourceProductionContext output, CompileResult result)
    {
        foreach (var network in result.Networks)
            output.AddSource(HintName(network.ClassName, result.Path), SourceText.From(network.Source, System.Text.Encoding.UTF8));
    }

    /// <summary>The catalog of the project's networks, and a clear report where two files make one class.</summary>
    private static void AddCatalog(SourceProductionContext output, ImmutableArray<CompileResult> results)
    {
        var generated = results.SelectMany(result => result.Networks.Select(network => (result.Path, result.Namespace, Network: network)))
            .GroupBy(item => item.Network.ClassName)
            .OrderBy(group => group.Key, System.StringComparer.Ordinal)
            .ToList();
        var unique = new List<(string Namespace, GeneratedNetwork Network)>();
        foreach (var group in generated)
        {
            var paths = group.Select(item => item.Path).Distinct().OrderBy(p => p, System.StringComparer.Ordinal).ToList();
            if (group.Count() == 1)
            {
                var item = group.Single();
                unique.Add((item.Namespace, item.Network));
                continue;
            }
            foreach (var path in paths)
            {
                output.ReportDiagnostic(Diagnostic.Create(DiagnosticDescriptors.Get("CNN0014"), ToLocation(path, new SourceSpan(0, 0, 0, 0, 0, 0)),
                    $"The class '{group.Key}' is generated more than once ({string.Join(", ", paths.Select(Path.GetFileName))}); give each network its own 'name'"));
            }
        }
        if (unique.Count > 0)
            output.AddSource("NetworkCatalog.g.cs", SourceText.From(Emit.CatalogEmitter.Emit(unique[0].Namespace, unique), System.Text.Encoding.UTF8));
    }

    /// <summary>Hint names are unique per class (duplicates are reported above) and stable across machines.</summary>
    private static string HintName(string className, string path) => $"{className}.{StableHash(path):x8}.g.cs";

    /// <summary>FNV-1a: stable across processes and machines, unlike string.GetHashCode.</summary>
    private static uint StableHash(string text)
    {
        var hash = 2166136261;
        foreach (var c in text.Replace('\\', '/'))
            hash = (hash ^ c) * 16777619;
        return hash;
    }

    private static Location ToLocation(string path, SourceSpan span) =>
        Location.Create(path, new TextSpan(span.Start, span.End - span.Start),
            new LinePositionSpan(new LinePosition(span.StartLine, span.StartColumn), new LinePosition(span.EndLine, span.EndColumn)));
}
