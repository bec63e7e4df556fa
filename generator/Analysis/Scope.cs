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

    public Value? Lookup(string name) => _values.TryGetValue(name, out var value) ? value : _parent?.Lookup(name);

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
