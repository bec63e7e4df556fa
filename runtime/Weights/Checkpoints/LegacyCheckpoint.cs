using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Numerics;
using Microsoft.Win32.SafeHandles;
using TorchSharp;

namespace CnnGen.Runtime.Weights.Checkpoints;

/// <summary>
/// A legacy <c>torch.save</c> file (before PyTorch 1.6, or <c>_use_new_zipfile_serialization=False</c>):
/// five pickles in a row (magic number, protocol version 1001, system info, the data, the list of
/// storage keys), then each listed storage as an 8-byte little-endian element count and its raw bytes.
/// </summary>
internal sealed class LegacyCheckpoint : TorchCheckpoint
{
    /// <summary>The number every legacy file starts with.</summary>
    public static readonly BigInteger MagicNumber = BigInteger.Parse("1950a86a20f9469cfc6c", System.Globalization.NumberStyles.HexNumber);

    private const long ProtocolVersion = 1001;

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, long> _dataOffsets;

    private LegacyCheckpoint(string path, List<KeyValuePair<string, TensorRecord>> tensors, SafeFileHandle handle,
        Dictionary<string, long> dataOffsets) : base(path, tensors)
    {
        _handle = handle;
        _dataOffsets = dataOffsets;
    }

    public static new LegacyCheckpoint Open(string path)
    {
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long fileLength = RandomAccess.GetLength(handle);
            long position = 0;
            List<KeyValuePair<string, TensorRecord>> tensors;
            StorageIds ids;
            List<object?> keys;
            // A stream of its own: disposing a FileStream built on the handle would close the handle.
            using (var stream = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16))
            {
                object? Next(string what, Func<PickleTuple, long, object> persistent)
                {
                    stream.Position = position;
                    var (value, consumed) = RestrictedUnpickler.Load(stream, fileLength - position, position, path, what, persistent);
                    position += consumed;
                    return value;
                }
                object NoStorage(PickleTuple _, long offset) =>
                    throw new CheckpointFormatException(path, "a persistent id outside the data pickle", $"file at pickle offset {offset}");

                if (Next("magic number pickle", NoStorage) is not BigInteger magic || magic != MagicNumber)
                    throw new CheckpointFormatException(path, "the first pickle is not torch's legacy magic number 0x1950a86a20f9469cfc6c");
                if (Next("protocol pickle", NoStorage) is not long protocol || protocol != ProtocolVersion)
                    throw new CheckpointFormatException(path, $"the legacy protocol version is not {ProtocolVersion}");
                if (Next("system info pickle", NoStorage) is not PickleDict info)
                    throw new CheckpointFormatException(path, "the system info pickle is not a dict");
                if (info.TryGet("little_endian", out var little) && little is not true)
                    throw new CheckpointFormatException(path, "the file was written on a big-endian machine; only little-endian is read");

                ids = new StorageIds(path, "data pickle", fileLength, legacy: true);
                var root = Next("data pickle", ids.Load);
                tensors = StateDictLayout.Extract(path, root);
                keys = Next("storage key pickle", NoStorage) as List<object?>
                    ?? throw new CheckpointFormatException(path, "the storage key pickle is not a list");
            }

            // The storages follow in the listed order, each as an element count and the raw bytes.
            var offsets = new Dictionary<string, long>(StringComparer.Ordinal);
            Span<byte> count = stackalloc byte[8];
            foreach (var item in keys)
            {
                if (item is not string key || !ids.ByKey.TryGetValue(key, out var storage))
                    throw new CheckpointFormatException(path, $"the storage key list names {item ?? "None"}, which no tensor uses", $"file offset {position}");
                if (offsets.ContainsKey(key))
                    throw new CheckpointFormatException(path, $"storage '{key}' is listed twice", $"file offset {position}");
                if (fileLength - position < 8 || RandomAccess.Read(handle, count, position) != 8)
                    throw new CheckpointFormatException(path, $"the file ends before storage '{key}' (truncated)", $"file offset {position}");
                long numel = BinaryPrimitives.ReadInt64LittleEndian(count);
                if (numel != storage.Numel)
                    throw new CheckpointFormatException(path, $"storage '{key}' has {numel} elements in the file and {storage.Numel} in the pickle", $"file offset {position}");
                position += 8;
                if (storage.ByteLength > fileLength - position)
                    throw new CheckpointFormatException(path,
                        $"storage '{key}' needs {storage.ByteLength} bytes; the file has {fileLength - position} left (truncated)", $"file offset {position}");
                offsets.Add(key, position);
                position += storage.ByteLength;
            }
            foreach (var key in ids.ByKey.Keys)
                if (!offsets.ContainsKey(key))
                    throw new CheckpointFormatException(path, $"storage '{key}' is used by a tensor but not stored in the file");
            return new LegacyCheckpoint(path, tensors, handle, offsets);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    protected override void ReadStorage(StorageRef storage, long byteOffset, torch.Tensor destination, string tensorName)
    {
        long start = _dataOffsets[storage.Key] + byteOffset;
        TensorBytes.ForEachChunk(destination, (span, offsetInTensor) =>
        {
            int done = 0;
            while (done < span.Length)
            {
                int read = RandomAccess.Read(_handle, span.Slice(done), start + offsetInTensor + done);
                if (read == 0)
                    throw new CheckpointFormatException(Path, "the file ends early (it changed after it was opened?)", $"tensor '{tensorName}'");
                done += read;
            }
        });
    }

    public override void Dispose() => _handle.Dispose();
}
