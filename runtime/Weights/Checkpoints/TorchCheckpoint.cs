using System;
using System.Collections.Generic;
using System.IO;
using TorchSharp;

namespace CnnGen.Runtime.Weights.Checkpoints;

/// <summary>
/// An open <c>torch.save</c> file whose data pickle has been read and checked: the state dict's tensors
/// (name, dtype, shape, view into a storage), with the storage bytes read on demand.
/// </summary>
internal abstract class TorchCheckpoint : ITensorIndex, IDisposable
{
    private readonly Dictionary<string, TensorRecord> _byName = new(StringComparer.Ordinal);
    private readonly List<string> _names = new();

    protected TorchCheckpoint(string path, List<KeyValuePair<string, TensorRecord>> tensors)
    {
        Path = path;
        foreach (var (name, tensor) in tensors)
        {
            _byName.Add(name, tensor);
            _names.Add(name);
        }
    }

    public string Path { get; }

    /// <summary>Opens a zip-format or legacy-format checkpoint, told apart by its first bytes.</summary>
    public static TorchCheckpoint Open(string path) => WeightsFormats.Detect(path) switch
    {
        WeightsFormat.TorchZip => ZipCheckpoint.Open(path),
        WeightsFormat.TorchLegacy => LegacyCheckpoint.Open(path),
        var other => throw new CheckpointFormatException(path, $"the file is {other}, not a PyTorch checkpoint"),
    };

    public IEnumerable<string> TensorNames => _names;

    public IReadOnlyDictionary<string, TensorRecord> Tensors => _byName;

    public bool TryGetTensorInfo(string name, out SafetensorsDtype dtype, out IReadOnlyList<long> shape)
    {
        if (_byName.TryGetValue(name, out var tensor)) { dtype = tensor.Storage.Dtype; shape = tensor.Shape; return true; }
        dtype = default;
        shape = Array.Empty<long>();
        return false;
    }

    /// <summary>A new contiguous CPU tensor with the stored values, dtype and shape. The caller owns it.</summary>
    public torch.Tensor ReadTensor(string name)
    {
        var record = _byName[name];
        var type = record.Storage.Dtype.ToScalarType()!.Value;
        if (record.Numel == 0)
            return torch.empty(record.Shape, type);
        // Only the part of the storage the view addresses is read: [offset, offset + span).
        var slice = torch.empty(record.Span, type);
        try
        {
            long elementSize = record.Storage.Dtype.ElementSize();
            ReadStorage(record.Storage, record.Offset * elementSize, slice, name);
            if (IsContiguous(record))
            {
                var shaped = slice.reshape(record.Shape);
                slice.Dispose();
                return shaped;
            }
            // A transposed or otherwise strided view: copy it into its own contiguous tensor.
            using var view = slice.as_strided(record.Shape, record.Strides, 0);
            var copy = view.contiguous();
            slice.Dispose();
            return copy;
        }
        catch
        {
            slice.Dispose();
            throw;
        }
    }

    /// <summary>
    /// True when <paramref name="name"/>'s bytes can be read straight into <paramref name="destination"/>:
    /// a contiguous stored view of the destination's dtype, and a contiguous CPU destination.
    /// </summary>
    public bool CanReadDirectly(string name, torch.Tensor destination)
    {
        var record = _byName[name];
        return record.Numel > 0 && IsContiguous(record) && record.Span == record.Numel
            && destination.dtype == record.Storage.Dtype.ToScalarType()
            && destination.device_type == DeviceType.CPU && destination.is_contiguous();
    }

    /// <summary>Reads <paramref name="name"/>'s bytes into <paramref name="destination"/> (see <see cref="CanReadDirectly"/>).</summary>
    public void ReadDirectly(string name, torch.Tensor destination)
    {
        var record = _byName[name];
        using var flat = destination.reshape(-1);
        ReadStorage(record.Storage, record.Offset * record.Storage.Dtype.ElementSize(), flat, name);
    }

    /// <summary>
    /// Checks, before anything is copied, what <see cref="TorchCheckpoint.Open"/> could not check without
    /// reading data (a zip entry's local header). After this, only a file changing underneath can make a read fail.
    /// </summary>
    public virtual void CheckReadable() { }

    /// <summary>
    /// Fills <paramref name="destination"/> (1-D, contiguous, CPU, the storage's dtype) with the storage's
    /// bytes from <paramref name="byteOffset"/> on.
    /// </summary>
    protected abstract void ReadStorage(StorageRef storage, long byteOffset, torch.Tensor destination, string tensorName);

    /// <summary>Fills <paramref name="destination"/> with the next bytes of <paramref name="stream"/>.</summary>
    protected void Fill(Stream stream, torch.Tensor destination, string where)
    {
        TensorBytes.ForEachChunk(destination, (span, _) =>
        {
            int done = 0;
            while (done < span.Length)
            {
                int read = stream.Read(span.Slice(done));
                if (read == 0)
                    throw new CheckpointFormatException(Path, "the data ends early (truncated, or the file changed after it was opened)", where);
                done += read;
            }
        });
    }

    private static bool IsContiguous(TensorRecord record)
    {
        long expected = 1;
        for (int i = record.Shape.Length - 1; i >= 0; i--)
        {
            if (record.Shape[i] != 1 && record.Strides[i] != expected)
                return false;
            expected *= record.Shape[i];
        }
        return true;
    }

    public abstract void Dispose();
}
