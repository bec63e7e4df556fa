using System;
using System.Collections.Generic;
using System.Linq;

namespace CnnGen.Runtime.Weights.Checkpoints;

/// <summary>
/// Finds the state dict in what a checkpoint's data pickle holds: the top-level dict itself, or the one
/// under <c>state_dict</c>, <c>model</c> or <c>state_dict_ema</c> (tried in that order; training scripts
/// save <c>{"epoch": 3, "state_dict": ..., "optimizer": ...}</c>), with a <c>module.</c> prefix from
/// DataParallel removed when every key has it.
/// </summary>
internal static class StateDictLayout
{
    /// <summary>The wrapper keys tried, first match wins.</summary>
    public static readonly string[] WrapperKeys = { "state_dict", "model", "state_dict_ema" };

    private const string DataParallelPrefix = "module.";

    /// <summary>The tensors by state-dict key, in the file's order. Non-tensor values are skipped.</summary>
    public static List<KeyValuePair<string, TensorRecord>> Extract(string path, object? root)
    {
        if (root is not PickleDict top)
            throw new CheckpointFormatException(path, $"the data pickle holds {Describe(root)}, not a dict of tensors");
        var stateDict = top;
        foreach (var key in WrapperKeys)
        {
            if (top.TryGet(key, out var inner) && inner is PickleDict dict)
            {
                stateDict = dict;
                break;
            }
        }
        var tensors = new List<KeyValuePair<string, TensorRecord>>();
        foreach (var (key, value) in stateDict.Items)
            if (key is string name && value is TensorRecord tensor)
                tensors.Add(new(name, tensor));
        if (tensors.Count == 0)
        {
            var keys = string.Join(", ", top.Items.Take(10).Select(item => item.Key.ToString()));
            throw new CheckpointFormatException(path,
                $"no tensors found: not a state dict, and none of {string.Join("/", WrapperKeys)} holds one (top-level keys: {keys})");
        }
        if (tensors.All(t => t.Key.StartsWith(DataParallelPrefix, StringComparison.Ordinal)))
            tensors = tensors.Select(t => new KeyValuePair<string, TensorRecord>(t.Key[DataParallelPrefix.Length..], t.Value)).ToList();
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in tensors)
            if (!seen.Add(name))
                throw new CheckpointFormatException(path, $"the state dict has the key '{name}' twice");
        return tensors;
    }

    private static string Describe(object? value) => value switch
    {
        null => "None",
        List<object?> => "a list",
        PickleTuple => "a tuple",
        TensorRecord => "a single tensor",
        _ => value.GetType().Name,
    };
}
