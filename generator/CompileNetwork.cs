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
public sealed record CompileResult(string Path, string Namespace, string? ClassName, string? Source, EquatableArray<Problem> Problems, NetworkModel? Model)
{
    public bool IsPublished => Source is not null && Source.Contains("PublishedParameterCount = ");

    public bool HasErrors => Problems.Any(problem => problem.Severity == ProblemSeverity.Error);

    // The model is not part of equality: the incremental pipeline compares what is emitted and reported.
    public bool Equals(CompileResult? other) =>
        other is not null && Path == other.Path && Namespace == other.Namespace && ClassName == other.ClassName && Source == other.Source && Problems.Equals(other.Problems);

    public override int GetHashCode() => (Path, Namespace, ClassName, Source, Problems).GetHashCode();
}

/// <summary>
/// The whole pure pipeline for one file: YAML -> document -> analysis -> C#. No Roslyn types, no
/// I/O: the source generator, the tests and a command-line tool all call this.
/// </summary>
public static class CompileNetwork
{
    public static CompileResult Run(string path, string text, string @namespace, CancellationToken cancellationToken = default)
    {
        var problems = new List<Problem>();
        try
        {
            var root = YamlTreeReader.Read(text, problems, cancellationToken);
            var document = root is null ? null : NetworkReader.Read(path, root, problems);
            if (root is not null && document is null && problems.Count == 0)
                problems.Add(Problem.Create(DiagnosticCatalog.MissingKey, SourceSpan.None, "name", "the file is empty"));
            if (root is null && problems.Count == 0)
                problems.Add(Problem.Create(DiagnosticCatalog.MissingKey, SourceSpan.None, "name", "the file is empty; a network file needs 'name', 'input' and 'layers'"));
            var model = document is null ? null : NetworkAnalyzer.Analyze(document, FallbackClassName(path), problems, cancellationToken);
            string? source = null;
            if (model is not null && model.Output is not null && !problems.Any(problem => problem.Severity == ProblemSeverity.Error))
                source = NetworkEmitter.Emit(model, @namespace);
            // A mistake inside a block is met once per instance; report it once.
            return new CompileResult(path, @namespace, model?.ClassName, source, problems.Distinct().ToEquatableArray(), model);
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
            return new CompileResult(path, @namespace, null, null, problems.ToEquatableArray(), null);
        }
    }

    private static string FallbackClassName(string path)
    {
        var file = System.IO.Path.GetFileName(path);
        var dot = file.IndexOf('.');
        return Identifiers.Pascal(dot > 0 ? file.Substring(0, dot) : file);
    }
}
