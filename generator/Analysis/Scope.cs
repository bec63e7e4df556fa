using System.Collections.Generic;
using CnnGen.Generator.Expressions;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// Names visible to an expression: model arguments, block parameters, the repetition index <c>i</c>, and the
/// earlier outputs of the network or block by their keys (<c>enc4</c>, <c>input</c>). Outputs are a namespace of
/// their own, so a key never hides a model argument of the same name: a number is looked up first, except where an
/// output is expected (<see cref="LookupTensor"/>: <c>from=</c>, <c>to=</c>, the operands of <c>concat(a, b)</c>).
/// </summary>
internal sealed class Scope
{
    private readonly Dictionary<string, Value> _values = new();
    private readonly Dictionary<string, Value> _tensors = new();
    private readonly HashSet<string> _pending = new();
    private readonly Scope? _parent;

    public Scope(Scope? parent) => _parent = parent;

    public void Set(string name, Value value) => _values[name] = value;

    /// <summary>Names an output from here on (a mapping's key after its entry has run).</summary>
    public void SetTensor(string name, Value tensor)
    {
        _tensors[name] = tensor;
        _pending.Remove(name);
    }

    /// <summary>
    /// Makes this scope's outputs visible in <paramref name="outer"/> once its mapping has run: by their own names for the
    /// network's top-level mapping (<paramref name="prefix"/> null), else by path (<c>body.layer1</c>), as the state dict
    /// names the module that makes them.
    /// </summary>
    public void ExportTensors(Scope outer, string? prefix)
    {
        foreach (var pair in _tensors)
            if (prefix is not null || !outer._tensors.ContainsKey(pair.Key))
                outer._tensors[prefix is null ? pair.Key : prefix + "." + pair.Key] = pair.Value;
    }

    /// <summary>Keys of the mapping being run whose entries come later: naming one is a located "not yet" error.</summary>
    public void SetPending(string name) => _pending.Add(name);

    private readonly HashSet<string> _used = new();

    /// <summary>A value by name, or else an output by that name (a block argument may pass either).</summary>
    public Value? Lookup(string name) => LookupValue(name) ?? LookupTensor(name);

    private Value? LookupValue(string name)
    {
        if (!_values.TryGetValue(name, out var value)) return _parent?.LookupValue(name);
        _used.Add(name);
        return value;
    }

    /// <summary>An output by name, or else a value by that name (which the caller then reports as not an output).</summary>
    public Value? LookupTensorFirst(string name) => LookupTensor(name) ?? LookupValue(name);

    public Value? LookupTensor(string name) => _tensors.TryGetValue(name, out var tensor) ? tensor : _parent?.LookupTensor(name);

    /// <summary>Whether <paramref name="name"/> is a key of an enclosing mapping that has not run yet.</summary>
    public bool IsPending(string name) => _pending.Contains(name) || (_parent?.IsPending(name) ?? false);

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

    /// <summary>The outputs visible here, innermost first.</summary>
    public IEnumerable<string> TensorNames
    {
        get
        {
            foreach (var name in _tensors.Keys) yield return name;
            if (_parent is null) yield break;
            foreach (var name in _parent.TensorNames) yield return name;
        }
    }
}
