using System;
using System.Collections.Generic;
using System.Linq;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// Pairs a file's entries with the tensors a module has (or would have) and sorts every key into loadable,
/// missing, unexpected, wrong shape, unconvertible, tolerated or unchecked, looking only at the header (or
/// pickle) and at the expected names, shapes and dtypes: never at a tensor's values.
/// </summary>
/// <remarks>
/// Kept apart from the copying so a strict load can see every problem before it writes a single
/// byte: a refused file leaves the module exactly as it was. Working on <see cref="ExpectedTensor"/>s rather
/// than on a module's tensors is what lets <see cref="WeightsCompatibility.Check"/> give a load's report
/// without building the module.
/// </remarks>
internal sealed class StateDictMatch
{
    private StateDictMatch(IReadOnlyList<ExpectedTensor> expected) => Expected = expected;

    /// <summary>What the file was matched against, in the module's state-dict order.</summary>
    public IReadOnlyList<ExpectedTensor> Expected { get; }

    /// <summary>The keys whose file tensor can be copied into the module's, in the module's order.</summary>
    public List<string> Loadable { get; } = new();

    public List<string> Missing { get; } = new();
    public List<string> Unexpected { get; } = new();
    public List<ShapeMismatch> ShapeMismatches { get; } = new();
    public List<DtypeMismatch> DtypeMismatches { get; } = new();
    public List<string> Ignored { get; } = new();

    /// <summary>File keys under a module whose tensors the expected list cannot name (a C# layer, for a check).</summary>
    public List<string> Unchecked { get; } = new();

    /// <summary>Keys an option left out on purpose (a new head, an aux head this class lacks), with the reason.</summary>
    public List<KeyNote> Skipped { get; } = new();

    /// <summary>Module tensors filled from a file tensor of another shape (the stem), with what was done.</summary>
    public List<StemAdaptation> Adapted { get; } = new();

    public bool HasProblems =>
        Missing.Count + Unexpected.Count + ShapeMismatches.Count + DtypeMismatches.Count > 0;

    /// <summary>
    /// The one way every load and check matches a file: the keys sorted by <see cref="Build"/>, then the
    /// <paramref name="options"/> (none for the plain strict/non-strict load) applied by <see cref="WeightsAdjustments"/>.
    /// </summary>
    public static StateDictMatch Of(ITensorIndex file, IReadOnlyList<ExpectedTensor> expected, WeightsOptions? options,
        NetworkEnds ends, IReadOnlyList<string>? uncheckedPrefixes = null)
    {
        var match = Build(file, expected, uncheckedPrefixes ?? Array.Empty<string>());
        if (options is not null)
            WeightsAdjustments.Apply(match, options, ends);
        return match;
    }

    private static StateDictMatch Build(ITensorIndex file, IReadOnlyList<ExpectedTensor> expected, IReadOnlyList<string> uncheckedPrefixes)
    {
        var match = new StateDictMatch(expected);
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var target in expected)
        {
            var key = target.Name;
            names.Add(key);
            if (!file.TryGetTensorInfo(key, out var dtype, out var shape))
            {
                (BatchCounter.Is(key) ? match.Ignored : match.Missing).Add(key);
                continue;
            }
            if (!SafetensorsFile.ShapesEqual(shape, target.Shape))
            {
                match.ShapeMismatches.Add(new ShapeMismatch(key, shape, target.Shape));
                continue;
            }
            if (SafetensorsDtypes.ConversionProblem(dtype, target.Dtype, BatchCounter.Is(key)) is { } reason)
            {
                match.DtypeMismatches.Add(new DtypeMismatch(key, dtype, target.Dtype, reason));
                continue;
            }
            match.Loadable.Add(key);
        }
        var unexpected = new List<string>();
        foreach (var name in file.TensorNames)
        {
            if (names.Contains(name))
                continue;
            if (uncheckedPrefixes.Any(prefix => name.StartsWith(prefix, StringComparison.Ordinal)))
                match.Unchecked.Add(name);
            else
                (BatchCounter.Is(name) ? match.Ignored : unexpected).Add(name);
        }
        // In name order whatever order the file lists them in (safetensors sorts; a pickle keeps insertion order).
        unexpected.Sort(StringComparer.Ordinal);
        match.Unexpected.AddRange(unexpected);
        match.Unchecked.Sort(StringComparer.Ordinal);
        return match;
    }

    public LoadReport ToReport(IReadOnlyList<string> loaded) =>
        new(Missing, Unexpected, ShapeMismatches, DtypeMismatches, Ignored, loaded,
            Skipped, Adapted.ConvertAll(adaptation => new KeyNote(adaptation.Key, adaptation.Reason)), Unchecked);
}
