using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using Microsoft.Win32.SafeHandles;
using TorchSharp;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// An open safetensors file: its validated header, and reads of single tensors on demand.
/// </summary>
/// <remarks>
/// <see cref="Open"/> reads and checks only the header; tensor data is read when asked for, straight
/// into the tensor that will hold it, so opening a large checkpoint to look at one tensor (or to load
/// a module tensor by tensor) never holds the whole file in memory.
/// </remarks>
public sealed class SafetensorsFile : IDisposable, ITensorIndex
{
    /// <summary>
    /// Largest header accepted. Real headers are kilobytes (VGG-19: ~4 KB); the limit stops a corrupt or
    /// hostile length prefix from making us allocate gigabytes before we can tell the file is bad.
    /// </summary>
    public const long MaxHeaderBytes = 100L * 1024 * 1024;

    private const int LengthPrefixBytes = 8;

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, SafetensorsEntry> _byName;

    private SafetensorsFile(string path, SafeFileHandle handle, long fileLength, long dataStart,
        List<SafetensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _handle = handle;
        FileLength = fileLength;
        DataStart = dataStart;
        entries.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));
        Entries = entries;
        Metadata = metadata;
        _byName = new Dictionary<string, SafetensorsEntry>(StringComparer.Ordinal);
        foreach (var entry in entries)
            _byName.Add(entry.Name, entry);
    }

    public string Path { get; }

    public long FileLength { get; }

    /// <summary>Byte offset of the data section in the file (8 + header length).</summary>
    public long DataStart { get; }

    /// <summary>Every tensor in the file, ordered by name.</summary>
    public IReadOnlyList<SafetensorsEntry> Entries { get; }

    /// <summary>The optional <c>__metadata__</c> strings; empty when the file has none.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Opens <paramref name="path"/> and validates its whole header against the file's size.</summary>
    /// <exception cref="SafetensorsFormatException">The file is not a well-formed safetensors file.</exception>
    public static SafetensorsFile Open(string path)
    {
        ArgumentNullException.ThrowIfNull(path);
        EnsureLittleEndian();
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long fileLength = RandomAccess.GetLength(handle);
            if (fileLength == 0)
                throw new SafetensorsFormatException(path, "the file is empty; a safetensors file starts with an 8-byte header length");
            if (fileLength < LengthPrefixBytes)
                throw new SafetensorsFormatException(path, $"the file has only {fileLength} bytes, fewer than the 8-byte header length");

            Span<byte> prefix = stackalloc byte[LengthPrefixBytes];
            ReadExactly(handle, prefix, 0, path);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > MaxHeaderBytes)
                throw new SafetensorsFormatException(path,
                    $"the header length {headerLength} exceeds the {MaxHeaderBytes / (1024 * 1024)} MB limit (corrupt, or not a safetensors file)");
            if ((long)headerLength > fileLength - LengthPrefixBytes)
                throw new SafetensorsFormatException(path,
                    $"the header length {headerLength} runs past the end of the file, which has {fileLength - LengthPrefixBytes} bytes after the length (truncated, or not a safetensors file)");

            var json = new byte[headerLength];
            ReadExactly(handle, json, LengthPrefixBytes, path);
            long dataStart = LengthPrefixBytes + (long)headerLength;
            var (entries, metadata) = SafetensorsHeader.Parse(path, json, fileLength - dataStart);
            return new SafetensorsFile(path, handle, fileLength, dataStart, entries, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    IEnumerable<string> ITensorIndex.TensorNames
    {
        get { foreach (var entry in Entries) yield return entry.Name; }
    }

    bool ITensorIndex.TryGetTensorInfo(string name, out SafetensorsDtype dtype, out IReadOnlyList<long> shape)
    {
        if (_byName.TryGetValue(name, out var entry)) { dtype = entry.Dtype; shape = entry.Shape; return true; }
        dtype = default;
        shape = Array.Empty<long>();
        return false;
    }

    public bool TryGetEntry(string name, out SafetensorsEntry entry) => _byName.TryGetValue(name, out entry!);

    /// <summary>The entry named <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No tensor has that name.</exception>
    public SafetensorsEntry this[string name] =>
        _byName.TryGetValue(name, out var entry)
            ? entry
            : throw new KeyNotFoundException($"'{Path}' has no tensor named '{name}' (it has {_byName.Count}).");

    /// <summary>A new CPU tensor with the stored values in the stored dtype. The caller owns (disposes) it.</summary>
    /// <exception cref="NotSupportedException">The dtype has no TorchSharp equivalent (U16, U32, U64, F8_*).</exception>
    public torch.Tensor ReadTensor(string name)
    {
        var entry = this[name];
        var type = entry.Dtype.ToScalarType()
            ?? throw new NotSupportedException($"Tensor '{name}' in '{Path}' is {entry.Dtype}, which TorchSharp has no element type for.");
        var tensor = torch.empty(entry.ShapeArray(), type);
        try
        {
            TensorBytes.ReadInto(_handle, DataStart + entry.DataBegin, tensor, Path, name);
            return tensor;
        }
        catch
        {
            tensor.Dispose();
            throw;
        }
    }

    /// <summary>A new CPU tensor with the stored values converted to <paramref name="dtype"/>. The caller owns it.</summary>
    public torch.Tensor ReadTensor(string name, torch.ScalarType dtype)
    {
        var entry = this[name];
        if (entry.Dtype.ToScalarType() == dtype)
            return ReadTensor(name);
        using var stored = ReadTensor(name);
        return stored.to_type(dtype);
    }

    /// <summary>
    /// Copies the stored values into <paramref name="destination"/> in place (any device, any layout),
    /// converting the dtype under the rules of <see cref="SafetensorsDtypes.ConversionProblem"/>
    /// (with the counter rule for names ending in <c>num_batches_tracked</c>).
    /// </summary>
    /// <exception cref="ArgumentException">The shapes differ or the dtypes do not convert.</exception>
    public void ReadInto(string name, torch.Tensor destination)
    {
        ArgumentNullException.ThrowIfNull(destination);
        var entry = this[name];
        var shape = destination.shape;
        if (!ShapesEqual(entry.Shape, shape))
            throw new ArgumentException(
                $"Tensor '{name}' in '{Path}' has shape {ShapeText.Format(entry.Shape)}; the destination has {ShapeText.Format(shape)}.", nameof(destination));
        if (SafetensorsDtypes.ConversionProblem(entry.Dtype, destination.dtype, BatchCounter.Is(name)) is { } problem)
            throw new ArgumentException($"Tensor '{name}' in '{Path}' cannot be loaded: {problem}.", nameof(destination));

        using var _ = torch.no_grad();
        if (destination.dtype == entry.Dtype.ToScalarType() && destination.device_type == DeviceType.CPU && destination.is_contiguous())
        {
            // Same type and layout: the file's bytes go straight into the destination's storage.
            TensorBytes.ReadInto(_handle, DataStart + entry.DataBegin, destination, Path, name);
            return;
        }
        if (destination.is_contiguous())
        {
            // Otherwise stage the stored dtype in bounded slices and let copy_ convert (and move to the
            // destination's device) slice by slice, so an F16 checkpoint of a 400 MB layer costs one
            // slice of extra memory, not a second copy of the layer.
            using var flat = destination.reshape(-1);
            long elements = flat.numel();
            long perSlice = Math.Max(1, StagingBytes / entry.Dtype.ElementSize());
            for (long start = 0; start < elements; start += perSlice)
            {
                long count = Math.Min(perSlice, elements - start);
                using var staging = torch.empty(count, entry.Dtype.ToScalarType()!.Value);
                TensorBytes.ReadInto(_handle, DataStart + entry.DataBegin + start * entry.Dtype.ElementSize(), staging, Path, name);
                using var slice = flat.narrow(0, start, count);
                slice.copy_(staging);
            }
            return;
        }
        // A strided destination has no flat view to slice: stage the whole tensor once.
        using var stored = ReadTensor(name);
        destination.copy_(stored);
    }

    /// <summary>Extra memory a converting read may use at once.</summary>
    private const long StagingBytes = 64L << 20;

    internal static bool ShapesEqual(IReadOnlyList<long> a, IReadOnlyList<long> b)
    {
        if (a.Count != b.Count) return false;
        for (int i = 0; i < a.Count; i++)
            if (a[i] != b[i]) return false;
        return true;
    }

    /// <summary>The format is little-endian; raw byte copies would be wrong on a big-endian host.</summary>
    internal static void EnsureLittleEndian()
    {
        if (!BitConverter.IsLittleEndian)
            throw new PlatformNotSupportedException("Safetensors I/O copies raw little-endian bytes and needs a little-endian machine.");
    }

    private static void ReadExactly(SafeFileHandle handle, Span<byte> buffer, long offset, string path)
    {
        int done = 0;
        while (done < buffer.Length)
        {
            int read = RandomAccess.Read(handle, buffer.Slice(done), offset + done);
            if (read == 0)
                throw new SafetensorsFormatException(path, $"the file ended at byte {offset + done} while reading the header");
            done += read;
        }
    }

    public void Dispose() => _handle.Dispose();
}
