using System;
using System.Collections.Generic;
using System.IO;
using System.IO.Compression;
using TorchSharp;

namespace CnnGen.Runtime.Weights.Checkpoints;

/// <summary>
/// A zip-format <c>torch.save</c> file (PyTorch 1.6 and later): <c>{stem}/data.pkl</c> holds the pickle,
/// <c>{stem}/data/{key}</c> each storage's raw little-endian bytes.
/// </summary>
/// <remarks>
/// torch.save writes every entry STORED (uncompressed, 64-byte aligned). A compressed entry is refused:
/// its declared size is the only bound on what inflating it would produce (a zip bomb), and no PyTorch
/// writes one. Every entry read must also fit in the file and match the size the pickle declares.
/// </remarks>
internal sealed class ZipCheckpoint : TorchCheckpoint
{
    private readonly FileStream _file;
    private readonly ZipArchive _zip;
    private readonly Dictionary<string, ZipArchiveEntry> _storages;

    private ZipCheckpoint(string path, List<KeyValuePair<string, TensorRecord>> tensors, FileStream file, ZipArchive zip,
        Dictionary<string, ZipArchiveEntry> storages) : base(path, tensors)
    {
        _file = file;
        _zip = zip;
        _storages = storages;
    }

    public static new ZipCheckpoint Open(string path)
    {
        var file = new FileStream(path, FileMode.Open, FileAccess.Read, FileShare.Read, 1 << 16);
        ZipArchive? zip = null;
        try
        {
            long fileLength = file.Length;
            try { zip = new ZipArchive(file, ZipArchiveMode.Read, leaveOpen: true); }
            catch (InvalidDataException e)
            {
                throw new CheckpointFormatException(path, $"not a readable zip archive (truncated or damaged): {e.Message}", null, e);
            }

            ZipArchiveEntry? pickle = null;
            foreach (var entry in zip.Entries)
            {
                var name = entry.FullName;
                int slash = name.IndexOf('/');
                if (slash > 0 && name.AsSpan(slash + 1).SequenceEqual("data.pkl"))
                {
                    if (pickle is not null)
                        throw new CheckpointFormatException(path, $"two data pickles, '{pickle.FullName}' and '{name}'");
                    pickle = entry;
                }
            }
            if (pickle is null)
                throw new CheckpointFormatException(path, "the zip archive has no '<name>/data.pkl' entry; it is not a torch.save file");
            string prefix = pickle.FullName[..pickle.FullName.IndexOf('/')];

            if (zip.GetEntry(prefix + "/byteorder") is { } byteorder)
            {
                CheckStored(path, byteorder, fileLength);
                if (byteorder.Length > 16)
                    throw new CheckpointFormatException(path, "the byteorder entry is longer than 16 bytes", byteorder.FullName);
                using var reader = new StreamReader(byteorder.Open());
                var order = reader.ReadToEnd().Trim();
                if (order != "little")
                    throw new CheckpointFormatException(path, $"the tensors are stored '{order}'-endian; only little-endian is read", byteorder.FullName);
            }

            CheckStored(path, pickle, fileLength);
            var ids = new StorageIds(path, pickle.FullName, fileLength, legacy: false);
            object? root;
            try
            {
                using var stream = new BufferedStream(pickle.Open(), 1 << 16);
                (root, _) = RestrictedUnpickler.Load(stream, pickle.Length, 0, path, pickle.FullName, ids.Load);
            }
            catch (InvalidDataException e)
            {
                throw new CheckpointFormatException(path, $"the entry cannot be read: {e.Message}", pickle.FullName, e);
            }
            var tensors = StateDictLayout.Extract(path, root);

            var storages = new Dictionary<string, ZipArchiveEntry>(StringComparer.Ordinal);
            foreach (var (_, tensor) in tensors)
            {
                var storage = tensor.Storage;
                if (storages.ContainsKey(storage.Key))
                    continue;
                string entryName = $"{prefix}/data/{storage.Key}";
                var entry = zip.GetEntry(entryName)
                    ?? throw new CheckpointFormatException(path, $"storage '{storage.Key}' has no entry '{entryName}'");
                CheckStored(path, entry, fileLength);
                if (entry.Length != storage.ByteLength)
                    throw new CheckpointFormatException(path,
                        $"the entry has {entry.Length} bytes; the pickle declares {storage.Numel} {storage.Dtype} elements ({storage.ByteLength} bytes)", entryName);
                storages.Add(storage.Key, entry);
            }
            return new ZipCheckpoint(path, tensors, file, zip, storages);
        }
        catch
        {
            zip?.Dispose();
            file.Dispose();
            throw;
        }
    }

    private static void CheckStored(string path, ZipArchiveEntry entry, long fileLength)
    {
        if (entry.CompressedLength != entry.Length)
            throw new CheckpointFormatException(path,
                $"the entry is compressed ({entry.CompressedLength} bytes declaring {entry.Length}); torch.save stores entries uncompressed and compressed ones are refused", entry.FullName);
        if (entry.Length > fileLength)
            throw new CheckpointFormatException(path, $"the entry declares {entry.Length} bytes, more than the whole file ({fileLength})", entry.FullName);
    }

    public override void CheckReadable()
    {
        foreach (var entry in _storages.Values)
        {
            // Open reads and checks the entry's local header; a damaged one throws here, before any copy.
            try { entry.Open().Dispose(); }
            catch (InvalidDataException e)
            {
                throw new CheckpointFormatException(Path, $"the entry cannot be read: {e.Message}", entry.FullName, e);
            }
        }
    }

    protected override void ReadStorage(StorageRef storage, long byteOffset, torch.Tensor destination, string tensorName)
    {
        var entry = _storages[storage.Key];
        try
        {
            using var stream = entry.Open();
            if (stream.CanSeek)
                stream.Seek(byteOffset, SeekOrigin.Begin);
            else
                Discard(stream, byteOffset, entry.FullName);
            Fill(stream, destination, entry.FullName);
        }
        catch (InvalidDataException e)
        {
            throw new CheckpointFormatException(Path, $"the entry cannot be read: {e.Message}", entry.FullName, e);
        }
    }

    private void Discard(Stream stream, long count, string where)
    {
        var buffer = new byte[Math.Min(count, 1 << 16)];
        while (count > 0)
        {
            int read = stream.Read(buffer, 0, (int)Math.Min(buffer.Length, count));
            if (read == 0)
                throw new CheckpointFormatException(Path, "the data ends early (truncated)", where);
            count -= read;
        }
    }

    public override void Dispose()
    {
        _zip.Dispose();
        _file.Dispose();
    }
}
