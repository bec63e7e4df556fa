using System;
using System.Collections.Generic;

namespace CnnGen.Runtime.Weights.Checkpoints;

/// <summary>A global the restricted unpickler allows (<c>collections.OrderedDict</c>, a storage type, a tensor rebuild).</summary>
internal sealed record PickleGlobal(string Module, string Name)
{
    public override string ToString() => $"{Module}.{Name}";
}

/// <summary>A pickled tuple.</summary>
internal sealed class PickleTuple(object?[] items)
{
    public object?[] Items { get; } = items;
    public int Count => Items.Length;
    public object? this[int i] => Items[i];
}

/// <summary>A pickled dict (or OrderedDict), in insertion order.</summary>
internal sealed class PickleDict
{
    private readonly Dictionary<object, int> _index = new();
    private readonly List<KeyValuePair<object, object?>> _items = new();

    public IReadOnlyList<KeyValuePair<object, object?>> Items => _items;

    public void Set(object key, object? value)
    {
        if (_index.TryGetValue(key, out int at))
            _items[at] = new(key, value);
        else
        {
            _index.Add(key, _items.Count);
            _items.Add(new(key, value));
        }
    }

    public bool TryGet(object key, out object? value)
    {
        if (_index.TryGetValue(key, out int at)) { value = _items[at].Value; return true; }
        value = null;
        return false;
    }
}

/// <summary>A storage as a persistent id names it: <c>('storage', torch.FloatStorage, key, location, numel[, view])</c>.</summary>
internal sealed record StorageRef(string Key, SafetensorsDtype Dtype, long Numel, string Location)
{
    public long ByteLength => Numel * Dtype.ElementSize();
}

/// <summary>
/// A tensor as <c>torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)</c> describes it,
/// already checked: sizes and strides non-negative, and every element it addresses inside the storage.
/// </summary>
internal sealed record TensorRecord(StorageRef Storage, long Offset, long[] Shape, long[] Strides)
{
    /// <summary>Elements of the storage from <see cref="Offset"/> to one past the last element addressed (0 when empty).</summary>
    public long Span { get; init; }

    public long Numel { get; init; }
}
