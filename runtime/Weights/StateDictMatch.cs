using System;
using System.Collections.Generic;
using TorchSharp;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// Pairs a file's entries with a module's state-dict tensors and sorts every key into loadable,
/// missing, unexpected, wrong shape, unconvertible or tolerated, looking only at the header (or pickle).
/// </summary>
/// <remarks>
/// Kept apart from the copying so a strict load can see every problem before it writes a single
/// byte: a refused file leaves the module exactly as it was.
/// </remarks>
internal sealed class StateDictMatch
{
    private StateDictMatch() { }

    /// <summary>The (file entry, module tensor) pairs that can be copied.</summary>
    public List<(string Name, torch.Tensor Target)> Loadable { get; } = new();

    public List<string> Missing { get; } = new();
    public List<string> Unexpected { get; } = new();
    public List<ShapeMismatch> ShapeMismatches { get; } = new();
    public List<DtypeMismatch> DtypeMismatches { get; } = new();
    public List<string> Ignored { get; } = new();

    /// <summary>Keys an option left out on purpose (a new head, an aux head this class lacks), with the reason.</summary>
    public List<KeyNote> Skipped { get; } = new();

    /// <summary>Module tensors filled from a file tensor of another shape (the stem), with what was done.</summary>
    public List<StemAdaptation> Adapted { get; } = new();

    public bool HasProblems =>
        Missing.Count + Unexpected.Count + ShapeMismatches.Count + DtypeMismatches.Count > 0;

    public static StateDictMatch Build(ITensorIndex file, Dictionary<string, torch.Tensor> stateDict)
    {
        var match = new StateDictMatch();
        foreach (var (key, target) in stateDict)
        {
            if (!file.TryGetTensorInfo(key, out var dtype, out var shape))
            {
                (BatchCounter.Is(key) ? match.Ignored : match.Missing).Add(key);
                continue;
            }
            var moduleShape = target.shape;
            if (!SafetensorsFile.ShapesEqual(shape, moduleShape))
            {
                match.ShapeMismatches.Add(new ShapeMismatch(key, shape, moduleShape));
                continue;
            }
            if (SafetensorsDtypes.ConversionProblem(dtype, target.dtype, BatchCounter.Is(key)) is { } reason)
            {
                match.DtypeMismatches.Add(new DtypeMismatch(key, dtype, target.dtype, reason));
                continue;
            }
            match.Loadable.Add((key, target));
        }
        var unexpected = new List<string>();
        foreach (var name in file.TensorNames)
        {
            if (stateDict.ContainsKey(name))
                continue;
            (BatchCounter.Is(name) ? match.Ignored : unexpected).Add(name);
        }
        // In name order whatever order the file lists them in (safetensors sorts; a pickle keeps insertion order).
        unexpected.Sort(StringComparer.Ordinal);
        match.Unexpected.AddRange(unexpected);
        return match;
    }

    public LoadReport ToReport(IReadOnlyList<string> loaded) =>
        new(Missing, Unexpected, ShapeMismatches, DtypeMismatches, Ignored, loaded,
            Skipped, Adapted.ConvertAll(adaptation => new KeyNote(adaptation.Key, adaptation.Reason)));
}
