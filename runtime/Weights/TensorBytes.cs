using System;
using System.IO;
using Microsoft.Win32.SafeHandles;
using TorchSharp;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// Moves bytes between a file and a CPU tensor's own storage, with no managed buffer in between.
/// </summary>
/// <remarks>
/// Reading straight into the tensor is what keeps a 550 MB checkpoint from costing 1.1 GB: the only
/// copy of the data in memory is the module's. TorchSharp's <c>Tensor.bytes</c> is a span, and spans
/// stop at 2 GB, so tensors are walked in chunks of a flat view; each chunk's span starts at that
/// chunk's own data (<c>narrow</c> keeps the storage offset).
/// </remarks>
internal static class TensorBytes
{
    private const long ChunkBytes = 1L << 30;

    /// <summary>Fills <paramref name="destination"/> (CPU, contiguous) with the bytes at <paramref name="fileOffset"/>.</summary>
    public static void ReadInto(SafeFileHandle file, long fileOffset, torch.Tensor destination, string path, string name)
    {
        ForEachChunk(destination, (span, offsetInTensor) =>
        {
            int done = 0;
            while (done < span.Length)
            {
                int read = RandomAccess.Read(file, span.Slice(done), fileOffset + offsetInTensor + done);
                // The header was checked against the file's length at open; running short now means the
                // file shrank underneath us.
                if (read == 0)
                    throw new SafetensorsFormatException(path,
                        $"the file ended at byte {fileOffset + offsetInTensor + done} while reading the tensor (it changed after it was opened?)", name);
                done += read;
            }
        });
    }

    /// <summary>Writes the bytes of <paramref name="source"/> (CPU, contiguous) to <paramref name="stream"/>.</summary>
    public static void Write(torch.Tensor source, Stream stream) =>
        ForEachChunk(source, (span, _) => stream.Write(span));

    internal delegate void ChunkAction(Span<byte> chunk, long offsetInTensor);

    /// <summary>Calls <paramref name="action"/> on each chunk (at most 1 GB) of a contiguous CPU tensor's bytes, in order.</summary>
    internal static void ForEachChunk(torch.Tensor tensor, ChunkAction action)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException("Raw byte access needs a contiguous CPU tensor.", nameof(tensor));
        long elements = tensor.numel();
        if (elements == 0)
            return;
        long elementSize = tensor.element_size();
        long perChunk = Math.Max(1, ChunkBytes / elementSize);
        using var flat = tensor.reshape(-1);
        for (long start = 0; start < elements; start += perChunk)
        {
            long count = Math.Min(perChunk, elements - start);
            using var part = flat.narrow(0, start, count);
            action(part.bytes, start * elementSize);
        }
    }
}
