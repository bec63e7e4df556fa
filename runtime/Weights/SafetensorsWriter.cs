using System;
using System.Collections.Generic;
using System.IO;
using System.Text.Json;
using TorchSharp;

namespace CnnGen.Runtime.Weights;

/// <summary>Writes named tensors as a safetensors file that other readers (Python's safetensors, PyTorch) accept.</summary>
public static class SafetensorsWriter
{
    /// <summary>
    /// Writes <paramref name="tensors"/> to <paramref name="path"/>: tensors sorted by name (so the same
    /// weights always give the same bytes), header padded with spaces to a multiple of 8 (so the data
    /// section starts aligned), data contiguous and little-endian.
    /// </summary>
    /// <remarks>
    /// The file is written beside the target and renamed over it at the end, so a failure halfway (disk
    /// full, an unsupported dtype found late) never leaves a truncated checkpoint under the real name.
    /// </remarks>
    /// <exception cref="ArgumentException">Two tensors share a name, or a name is <c>__metadata__</c>.</exception>
    /// <exception cref="NotSupportedException">A tensor's dtype has no safetensors spelling (complex, quantized).</exception>
    public static void Write(string path, IEnumerable<KeyValuePair<string, torch.Tensor>> tensors,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(tensors);
        SafetensorsFile.EnsureLittleEndian();

        var items = new List<(string Name, torch.Tensor Tensor, SafetensorsDtype Dtype)>();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in tensors)
        {
            ArgumentNullException.ThrowIfNull(name, nameof(tensors));
            if (name == SafetensorsHeader.MetadataKey)
                throw new ArgumentException($"'{SafetensorsHeader.MetadataKey}' is reserved for metadata and cannot name a tensor.", nameof(tensors));
            if (!names.Add(name))
                throw new ArgumentException($"Two tensors are named '{name}'.", nameof(tensors));
            var dtype = SafetensorsDtypes.FromScalarType(tensor.dtype)
                ?? throw new NotSupportedException($"Tensor '{name}' is {tensor.dtype}, which safetensors has no dtype for.");
            items.Add((name, tensor, dtype));
        }
        items.Sort((a, b) => string.CompareOrdinal(a.Name, b.Name));

        byte[] header = BuildHeader(items, metadata);

        string fullPath = Path.GetFullPath(path);
        string temporary = fullPath + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 20))
            {
                Span<byte> prefix = stackalloc byte[8];
                System.Buffers.Binary.BinaryPrimitives.WriteUInt64LittleEndian(prefix, (ulong)header.Length);
                stream.Write(prefix);
                stream.Write(header);
                foreach (var (_, tensor, _) in items)
                    WriteData(tensor, stream);
            }
            File.Move(temporary, fullPath, overwrite: true);
        }
        catch
        {
            try { File.Delete(temporary); } catch (IOException) { } catch (UnauthorizedAccessException) { }
            throw;
        }
    }

    private static byte[] BuildHeader(List<(string Name, torch.Tensor Tensor, SafetensorsDtype Dtype)> items,
        IReadOnlyDictionary<string, string>? metadata)
    {
        var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (metadata is { Count: > 0 })
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                var keys = new List<string>(metadata.Keys);
                keys.Sort(StringComparer.Ordinal);
                foreach (var key in keys)
                    json.WriteString(key, metadata[key]);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor, dtype) in items)
            {
                long bytes = checked(tensor.numel() * dtype.ElementSize());
                json.WriteStartObject(name);
                json.WriteString("dtype", dtype.ToHeaderName());
                json.WriteStartArray("shape");
                foreach (long d in tensor.shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        // Spaces are JSON whitespace, so padding keeps the header valid for every reader.
        long padded = (buffer.Length + 7) / 8 * 8;
        while (buffer.Length < padded)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }

    private static void WriteData(torch.Tensor tensor, Stream stream)
    {
        if (tensor.device_type == DeviceType.CPU && tensor.is_contiguous())
        {
            TensorBytes.Write(tensor, stream);
            return;
        }
        // A GPU or strided tensor is copied once into a contiguous CPU tensor; only that one is disposed,
        // never the caller's tensor.
        using var detached = tensor.detach();
        using var cpu = detached.cpu();
        using var contiguous = cpu.contiguous();
        TensorBytes.Write(contiguous, stream);
    }
}
