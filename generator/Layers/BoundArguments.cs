using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Layers;

/// <summary>The evaluated arguments of one layer entry, by parameter name, with where each was written.</summary>
public sealed class BoundArguments
{
    private readonly Dictionary<string, Value> _values = new();
    private readonly Dictionary<string, SourceSpan> _spans = new();

    public void Set(string name, Value value, SourceSpan span)
    {
        _values[name] = value;
        _spans[name] = span;
    }

    public bool IsGiven(string name) => _spans.ContainsKey(name) && _spans[name] != SourceSpan.None;

    public Value this[string name] => _values[name];

    public SourceSpan SpanOf(string name, SourceSpan fallback) =>
        _spans.TryGetValue(name, out var span) && span != SourceSpan.None ? span : fallback;

    public long Int(string name) => _values[name].Int;

    public bool Bool(string name) => _values[name].Bool;

    public double Number(string name) => _values[name].AsDouble;

    /// <summary>True when a padding argument says <c>same</c> (output size = input size at stride 1).</summary>
    public bool IsSame(string name) => _values[name].Kind == ValueKind.String && _values[name].Text == "same";

    /// <summary>A pair argument as (height, width); a single integer means the same for both.</summary>
    public (long H, long W) Pair(string name)
    {
        var value = _values[name];
        return value.Kind == ValueKind.Tuple ? (value.Items![0].Int, value.Items[1].Int) : (value.Int, value.Int);
    }
}
