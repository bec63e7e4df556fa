using System;
using System.Collections.Generic;
using System.Linq;
using System.Text;
using TorchSharp;

namespace CnnGen.Runtime.Weights;

/// <summary>A tensor the file and the module both have, with different shapes.</summary>
public sealed record ShapeMismatch(string Key, IReadOnlyList<long> FileShape, IReadOnlyList<long> ModuleShape)
{
    public override string ToString() => $"{Key} file {ShapeText.Format(FileShape)} vs module {ShapeText.Format(ModuleShape)}";
}

/// <summary>A tensor the file and the module both have, whose stored dtype cannot be converted to the module's.</summary>
public sealed record DtypeMismatch(string Key, SafetensorsDtype FileDtype, torch.ScalarType ModuleDtype, string Reason)
{
    public override string ToString() => $"{Key} file {FileDtype} vs module {ModuleDtype} ({Reason})";
}

/// <summary>A key a <see cref="WeightsOptions"/> option handled, and how: <c>fc.weight: new head (file [1000,2048], module [10,2048])</c>.</summary>
public sealed record KeyNote(string Key, string Reason)
{
    public override string ToString() => $"{Key}: {Reason}";
}

/// <summary>
/// What a load found and did: the keys it copied, and every key it could not, by kind.
/// </summary>
/// <remarks>
/// A strict load throws this report inside <see cref="SafetensorsLoadException"/> with nothing loaded;
/// a non-strict load returns it after copying every tensor that fits, so a caller doing transfer
/// learning (a new classifier head) can check that only the expected keys were left out.
/// </remarks>
public sealed class LoadReport
{
    /// <summary>How many keys of each kind a message names before summarising the rest.</summary>
    private const int ListedPerKind = 5;

    internal LoadReport(IReadOnlyList<string> missingKeys, IReadOnlyList<string> unexpectedKeys,
        IReadOnlyList<ShapeMismatch> shapeMismatches, IReadOnlyList<DtypeMismatch> dtypeMismatches,
        IReadOnlyList<string> ignoredKeys, IReadOnlyList<string> loadedKeys,
        IReadOnlyList<KeyNote>? skippedKeys = null, IReadOnlyList<KeyNote>? adaptedKeys = null, IReadOnlyList<string>? uncheckedKeys = null)
    {
        UncheckedKeys = uncheckedKeys ?? Array.Empty<string>();
        SkippedKeys = skippedKeys ?? Array.Empty<KeyNote>();
        AdaptedKeys = adaptedKeys ?? Array.Empty<KeyNote>();
        MissingKeys = missingKeys;
        UnexpectedKeys = unexpectedKeys;
        ShapeMismatches = shapeMismatches;
        DtypeMismatches = dtypeMismatches;
        IgnoredKeys = ignoredKeys;
        LoadedKeys = loadedKeys;
    }

    /// <summary>Module keys the file lacks (in the module's order). Left unchanged by the load.</summary>
    public IReadOnlyList<string> MissingKeys { get; }

    /// <summary>File tensors the module has no key for (in name order).</summary>
    public IReadOnlyList<string> UnexpectedKeys { get; }

    public IReadOnlyList<ShapeMismatch> ShapeMismatches { get; }

    public IReadOnlyList<DtypeMismatch> DtypeMismatches { get; }

    /// <summary>
    /// <c>num_batches_tracked</c> counters present on one side only. Tolerated because they only steer
    /// BatchNorm's momentum-free averaging during training; checkpoints from older PyTorch and modules
    /// built without running statistics legitimately lack them.
    /// </summary>
    public IReadOnlyList<string> IgnoredKeys { get; }

    /// <summary>
    /// Keys left out because a <see cref="WeightsOptions"/> option asked for it, each with the reason: a new
    /// head's module tensors (left as initialised) and a file's aux-head tensors the class has no module for.
    /// Not problems, so a strict load with those options succeeds, but never silent.
    /// </summary>
    public IReadOnlyList<KeyNote> SkippedKeys { get; }

    /// <summary>
    /// Module keys filled from a file tensor of another shape by <see cref="WeightsOptions.AdaptStem"/>, with the
    /// rule applied. They are in <see cref="LoadedKeys"/> too.
    /// </summary>
    public IReadOnlyList<KeyNote> AdaptedKeys { get; }

    /// <summary>
    /// File keys under a module whose tensors only the module itself knows (a layer written in C#), so
    /// <see cref="WeightsCompatibility.Check"/> can neither match nor fault them. Always empty for a load,
    /// which sees the module's real tensors.
    /// </summary>
    public IReadOnlyList<string> UncheckedKeys { get; }

    /// <summary>Keys whose values were copied into the module (for a check, the keys a load would copy).</summary>
    public IReadOnlyList<string> LoadedKeys { get; }

    public int LoadedCount => LoadedKeys.Count;

    /// <summary>True when anything besides tolerated counters failed to match.</summary>
    public bool HasProblems =>
        MissingKeys.Count + UnexpectedKeys.Count + ShapeMismatches.Count + DtypeMismatches.Count > 0;

    /// <summary>
    /// One line naming the first few problems of each kind with their counts, e.g.
    /// <c>3 missing keys: a, b, c; 1 unexpected key: x; 2 shape mismatches: fc.weight file [10,512] vs module [1000,512], ...</c>.
    /// </summary>
    public string DescribeProblems()
    {
        if (!HasProblems)
            return "no problems";
        var parts = new List<string>();
        AddKind(parts, MissingKeys, "missing key", "missing keys");
        AddKind(parts, UnexpectedKeys, "unexpected key", "unexpected keys");
        AddKind(parts, ShapeMismatches, "shape mismatch", "shape mismatches");
        AddKind(parts, DtypeMismatches, "dtype mismatch", "dtype mismatches");
        return string.Join("; ", parts);
    }

    public override string ToString()
    {
        var text = new StringBuilder($"loaded {LoadedCount} tensors");
        if (IgnoredKeys.Count > 0)
            text.Append($", ignored {IgnoredKeys.Count} num_batches_tracked present on one side only");
        if (AdaptedKeys.Count > 0)
            text.Append($"; adapted {AdaptedKeys.Count}: ").AppendJoin(", ", AdaptedKeys.Take(ListedPerKind));
        if (SkippedKeys.Count > 0)
            text.Append($"; skipped {SkippedKeys.Count}: ").AppendJoin(", ", SkippedKeys.Take(ListedPerKind))
                .Append(SkippedKeys.Count > ListedPerKind ? $", ... ({SkippedKeys.Count - ListedPerKind} more)" : "");
        if (UncheckedKeys.Count > 0)
            text.Append($"; {UncheckedKeys.Count} not checked (C# layer)");
        if (HasProblems)
            text.Append("; ").Append(DescribeProblems());
        return text.ToString();
    }

    private static void AddKind<T>(List<string> parts, IReadOnlyList<T> items, string singular, string plural)
    {
        if (items.Count == 0)
            return;
        var listed = string.Join(", ", items.Take(ListedPerKind).Select(item => item!.ToString()));
        string more = items.Count > ListedPerKind ? $", ... ({items.Count - ListedPerKind} more)" : "";
        parts.Add($"{items.Count} {(items.Count == 1 ? singular : plural)}: {listed}{more}");
    }
}
