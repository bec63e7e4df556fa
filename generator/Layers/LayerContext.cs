using System.Collections.Generic;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Layers;

/// <summary>Everything a layer kind needs to check, count and emit one layer instance.</summary>
public sealed class LayerContext
{
    private readonly List<Problem> _problems;
    private readonly SourceSpan? _related;

    public LayerContext(string path, LayerKind kind, Shape input, BoundArguments args, SourceSpan span, SourceSpan? related, List<Problem> problems)
    {
        Path = path;
        Kind = kind;
        Input = input;
        Args = args;
        Span = span;
        _related = related;
        _problems = problems;
    }

    /// <summary>Where problems go (a composite layer passes it on to the layer it delegates to).</summary>
    public List<Problem> Problems => _problems;

    /// <summary>The layer's full path as in the state dict: <c>layer3.1.conv2</c>.</summary>
    public string Path { get; }

    public LayerKind Kind { get; }

    public Shape Input { get; }

    public BoundArguments Args { get; }

    /// <summary>The shape of the output an <see cref="ArgumentType.Output"/> argument names; null when it is not given or its shape is unknown (an earlier error, already reported).</summary>
    public System.Func<string, Shape?> OutputShape { get; init; } = _ => null;

    /// <summary>The YAML range of the whole entry.</summary>
    public SourceSpan Span { get; }

    public string Describe => $"'{Path}'";

    public void Report(DiagnosticInfo info, SourceSpan span, params object[] args) =>
        _problems.Add(Problem.Create(info, span, args) with { Related = _related });

    /// <summary>Reports that the input has the wrong rank (a linear layer on a feature map, a conv on a vector).</summary>
    public LayerResult? WrongRank(string needs)
    {
        Report(DiagnosticCatalog.ShapeMismatch, Span, Describe, Kind.Name, Input, needs +
            (Input.ChannelsLast ? "; the map is channels-last here: 'permute(0, 3, 1, 2)' turns it back into C x H x W"
                : Input.IsMap ? "; add 'flatten' (or 'gap') before it" : "; a flattened vector cannot go back to a feature map"));
        return null;
    }

    /// <summary>Reports an argument value outside its range, pointing at the argument.</summary>
    public LayerResult? BadArgument(string name, string problem)
    {
        Report(DiagnosticCatalog.ArgumentType, Args.SpanOf(name, Span), Describe, name, Kind.Name, problem);
        return null;
    }
}
