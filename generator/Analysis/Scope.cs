using System.Collections.Generic;
using CnnGen.Generator.Expressions;

namespace CnnGen.Generator.Analysis;

/// <summary>Names visible to an expression: model arguments, block parameters, the repetition index <c>i</c>.</summary>
internal sealed class Scope
{
    private readonly Dictionary<string, Value> _values = new();
    private readonly Scope? _parent;

    public Scope(Scope? parent) => _parent = parent;

    public void Set(string name, Value value) => _values[name] = value;

    private readonly HashSet<string> _used = new();

    public Value? Lookup(string name)
    {
        if (!_values.TryGetValue(name, out var value)) return _parent?.Lookup(name);
        _used.Add(name);
        return value;
    }

    /// <summary>Whether an expression has read <paramref name="name"/> from this scope (for unused-argument warnings).</summary>
    public bool WasUsed(string name) => _used.Contains(name);

    public IEnumerable<string> Names
    {
        get
        {
            foreach (var name in _values.Keys) yield return name;
            if (_parent is null) yield break;
            foreach (var name in _parent.Names) yield return name;
        }
    }
}
