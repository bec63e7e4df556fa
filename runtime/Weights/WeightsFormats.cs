using System;
using System.Buffers.Binary;
using System.IO;

namespace CnnGen.Runtime.Weights;

/// <summary>The weight-file formats <see cref="ModuleWeightsExtensions.LoadWeights(TorchSharp.torch.nn.Module, string)"/> reads.</summary>
public enum WeightsFormat
{
    /// <summary>None of the others.</summary>
    Unknown,
    /// <summary>safetensors: an 8-byte little-endian header length, then a JSON object.</summary>
    Safetensors,
    /// <summary>A zip-format <c>torch.save</c> file (PyTorch 1.6 and later): starts <c>PK\x03\x04</c>.</summary>
    TorchZip,
    /// <summary>A legacy <c>torch.save</c> file: starts with a pickle (<c>\x80</c>, PROTO) of its magic number.</summary>
    TorchLegacy,
}

/// <summary>Tells weight files apart by their first bytes, never by their extension.</summary>
public static class WeightsFormats
{
    /// <summary>The format of the file at <paramref name="path"/>, from its first 9 bytes.</summary>
    public static WeightsFormat Detect(string path)
    {
        Span<byte> head = stackalloc byte[9];
        int length;
        using (var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read))
            length = RandomAccess.Read(handle, head, 0);
        return Detect(head[..length]);
    }

    /// <summary>What a load or check throws for a file of <see cref="WeightsFormat.Unknown"/> format.</summary>
    internal static Checkpoints.CheckpointFormatException NotAWeightsFile(string path) =>
        new(path, "the content is neither safetensors (8-byte length then '{'), a zip-format torch.save file (PK\\x03\\x04) nor a legacy one (a pickle)");

    /// <summary>The format a file starting with <paramref name="head"/> has.</summary>
    public static WeightsFormat Detect(ReadOnlySpan<byte> head)
    {
        if (head.Length >= 4 && head[0] == (byte)'P' && head[1] == (byte)'K' && head[2] is 3 or 5 && head[3] is 4 or 6)
            return WeightsFormat.TorchZip;
        // safetensors before the pickle test: a header of 128 + 256k bytes also starts with 0x80. A legacy
        // file's ninth byte is part of its magic number (0xf9), never '{'.
        if (head.Length >= 9 && head[8] == (byte)'{' && BinaryPrimitives.ReadUInt64LittleEndian(head) > 1)
            return WeightsFormat.Safetensors;
        if (head.Length >= 2 && head[0] == 0x80 && head[1] <= 5)
            return WeightsFormat.TorchLegacy;
        return WeightsFormat.Unknown;
    }
}
