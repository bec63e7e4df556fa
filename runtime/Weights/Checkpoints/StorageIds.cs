using System;
using System.Collections.Generic;

namespace CnnGen.Runtime.Weights.Checkpoints;

/// <summary>
/// Turns persistent ids <c>('storage', torch.FloatStorage, key, location, numel)</c> (plus a
/// <c>view_metadata</c> of None in the legacy format) into <see cref="StorageRef"/>s, checking them:
/// a known storage type, a plain key, a size that fits in the file, and the same key always naming the
/// same storage.
/// </summary>
internal sealed class StorageIds(string path, string where, long fileLength, bool legacy)
{
    private readonly Dictionary<string, StorageRef> _byKey = new(StringComparer.Ordinal);

    /// <summary>Every storage referenced, by key.</summary>
    public IReadOnlyDictionary<string, StorageRef> ByKey => _byKey;

    public object Load(PickleTuple pid, long offset)
    {
        string at = $"{where} at pickle offset {offset}";
        CheckpointFormatException Fail(string problem) => new(path, problem, at);

        int expected = legacy ? 6 : 5;
        if (pid.Count != expected || pid[0] is not "storage")
            throw Fail($"a persistent id that is not ('storage', type, key, location, size{(legacy ? ", view" : "")})");
        if (!RestrictedUnpickler.TryStorageDtype(pid[1], out var dtype))
            throw Fail("a persistent id whose storage type is not a torch storage");
        if (pid[2] is not string key || key.Length is 0 or > 64 || !IsPlain(key))
            throw Fail("a storage key that is not a short name of letters and digits");
        if (pid[3] is not string location)
            throw Fail($"storage '{key}' has no location string");
        if (pid[4] is not long numel)
            throw Fail($"storage '{key}' has a size that is not a 64-bit integer");
        if (numel < 0)
            throw Fail($"storage '{key}' has a negative size {numel}");
        if (legacy && pid[5] is not null)
            throw Fail($"storage '{key}' is a view of another storage (pre-1.0 format), which is not supported");
        long bytes;
        try { bytes = checked(numel * dtype.ElementSize()); }
        catch (OverflowException) { throw Fail($"storage '{key}' of {numel} elements overflows 64 bits"); }
        if (bytes > fileLength)
            throw Fail($"storage '{key}' declares {numel} {dtype} elements ({bytes} bytes), more than the whole file ({fileLength} bytes)");
        var storage = new StorageRef(key, dtype, numel, location);
        if (_byKey.TryGetValue(key, out var earlier))
        {
            if (earlier.Dtype != dtype || earlier.Numel != numel)
                throw Fail($"storage '{key}' is declared as {earlier.Numel} {earlier.Dtype} and as {numel} {dtype}");
            return earlier;
        }
        _byKey.Add(key, storage);
        return storage;
    }

    private static bool IsPlain(string key)
    {
        foreach (char c in key)
            if (!(char.IsAsciiLetterOrDigit(c) || c == '_'))
                return false;
        return true;
    }
}
