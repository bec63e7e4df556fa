using System;
using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CnnGen.Generator.Analysis;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Emit;
using CnnGen.Generator.Model;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator;

/// <summary>What compiling one network file gives: the C# source (when there are no errors) and the problems.</summary>
public sealed record CompileResult(string Path, string Namespace, EquatableArray<GeneratedNetwork> Networks, EquatableArray<Problem> Problems)
{
    public bool HasErrors => Problems.Any(problem => problem.Severity == ProblemSeverity.Error);

    /// <summary>
    /// The analysed networks (one per class); not part of equality, which compares what is emitted and reported.
    /// Kept when there are errors too (nothing is emitted then): each holds the layers analysed before the
    /// errors stopped their paths, which a summary shows with their shapes ahead of the errors.
    /// </summary>
    public IReadOnlyList<NetworkModel> Models { get; init; } = Array.Empty<NetworkModel>();

    /// <summary>The only class of a file without variants.</summary>
    public string? ClassName => Networks.Count == 1 ? Networks[0].ClassName : null;

    public string? Source => Networks.Count == 1 ? Networks[0].Source : null;

    public NetworkModel? Model => Models.Count == 1 ? Models[0] : null;

    public bool Equals(CompileResult? other) =>
        other is not null && Path == other.Path && Namespace == other.Namespace && Networks.Equals(other.Networks) && Problems.Equals(other.Problems);

    public override int GetHashCode() => (Path, Namespace, Networks, Problems).GetHashCode();
}

/// <summary>One generated class.</summary>
public sealed record GeneratedNetwork(string ClassName, string Source, bool IsPublished)
{
    /// <summary>The names of the outputs it returns as a record (<c>outputs:</c>); empty when it returns one tensor.</summary>
    public EquatableArray<string> Outputs { get; init; }
}

/// <summary>
/// The whole pure pipeline for one file: YAML -> document -> analysis -> C#. No Roslyn types, no
/// I/O: the source generator, the tests and a command-line tool all call this.
/// </summary>
public static class CompileNetwork
{
    public static CompileResult Run(string path, string text, string @namespace, CancellationToken cancellationToken = default) =>
        Run(path, text, @namespace, Array.Empty<Layers.CustomLayerSpec>(), cancellationToken);

    /// <summary>Compiles one file that may use the compilation's layers written in C# (<c>[CnnLayer]</c>).</summary>
    public static CompileResult Run(string path, string text, string @namespace, IReadOnlyList<Layers.CustomLayerSpec> customLayers, CancellationToken cancellationToken = default) =>
        Run(path, text, @namespace, customLayers, new Dictionary<string, string>(), cancellationToken);

    /// <summary>
    /// Compiles one file with some model arguments at other values than their defaults (YAML name to expression,
    /// see <see cref="ArgumentValues"/>): what a tool asks about one constructor call, never what a build emits.
    /// </summary>
    public static CompileResult Run(string path, string text, string @namespace, IReadOnlyList<Layers.CustomLayerSpec> customLayers,
        IReadOnlyDictionary<string, string> argumentValues, CancellationToken cancellationToken = default)
    {
        var custom = customLayers.Count == 0 ? null : Layers.CustomLayerSet.Usable(customLayers);
        var problems = new List<Problem>();
        try
        {
            var root = YamlTreeReader.Read(text, problems, cancellationToken);
            var document = root is null ? null : NetworkReader.Read(path, root, problems);
            if (document is not null && argumentValues.Count > 0) ArgumentValues.Apply(document, argumentValues);
            if (root is not null && document is null && problems.Count == 0)
                problems.Add(Problem.Create(DiagnosticCatalog.MissingKey, SourceSpan.None, "name", "the file is empty"));
            if (root is null && problems.Count == 0)
                problems.Add(Problem.Create(DiagnosticCatalog.MissingKey, SourceSpan.None, "name", "the file is empty; a network file needs 'name', 'input' and 'layers'"));
            var models = new List<NetworkModel>();
            if (document is not null)
            {
                var variants = document.Variants.Count == 0 ? new VariantDefinition?[] { null } : document.Variants.ToArray<VariantDefinition?>();
                var perVariant = new List<List<Problem>>();
                foreach (var variant in variants)
                {
                    var found = new List<Problem>();
                    var model = NetworkAnalyzer.Analyze(document, variant, FallbackClassName(path), found, cancellationToken, custom);
                    if (model is not null) models.Add(model);
                    perVariant.Add(found);
                }
                problems.AddRange(MergeVariantProblems(perVariant));
            }
            var networks = new List<GeneratedNetwork>();
            if (!problems.Any(problem => problem.Severity == ProblemSeverity.Error))
            {
                foreach (var model in models.Where(m => m.Output is not null))
                {
                    model.CompleteWithoutErrors();
                    networks.Add(new GeneratedNetwork(model.ClassName, NetworkEmitter.Emit(model, @namespace), model.PublishedParameters is not null)
                    {
                        Outputs = model.NamedOutputs.Select(output => output.Name).ToEquatableArray(),
                    });
                }
            }
            // A mistake inside a block (or shared by variants) is met once per instance; report it once.
            return new CompileResult(path, @namespace, networks.ToEquatableArray(), problems.Distinct().ToEquatableArray()) { Models = models };
        }
        catch (OperationCanceledException)
        {
            throw;
        }
        catch (Exception exception)
        {
            // The compiler must never see an exception from the generator (CS8785); report it instead.
            var frame = exception.StackTrace?.Split('\n').FirstOrDefault()?.Trim() ?? "";
            problems.Add(Problem.Create(DiagnosticCatalog.InternalError, SourceSpan.None, $"{exception.GetType().Name}: {exception.Message} {frame}"));
            return new CompileResult(path, @namespace, EquatableArray<GeneratedNetwork>.Empty, problems.ToEquatableArray());
        }
    }

    /// <summary>
    /// Problems of all variants, each once. "Never used" warnings count only when no variant uses the
    /// block or argument (GoogLeNet's aux-head block is used by the variant that has aux heads).
    /// </summary>
    private static IEnumerable<Problem> MergeVariantProblems(List<List<Problem>> perVariant)
    {
        var unusedIds = new[] { DiagnosticCatalog.UnusedBlock.Id, DiagnosticCatalog.UnusedArgument.Id };
        foreach (var problem in perVariant.SelectMany(found => found).Distinct())
        {
            if (unusedIds.Contains(problem.Id) && !perVariant.All(found => found.Contains(problem))) continue;
            yield return problem;
        }
    }

    private static string FallbackClassName(string path)
    {
        var file = System.IO.Path.GetFileName(path);
        var dot = file.IndexOf('.');
        return Identifiers.Pascal(dot > 0 ? file.Substring(0, dot) : file);
    }
}
