using System;
using System.Collections.Generic;
using System.Text.Json;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// Parses and validates the JSON header of a safetensors file against the size of its data section.
/// </summary>
/// <remarks>
/// Everything a later read relies on is proven here, before any tensor byte is touched: every entry is
/// well-typed, its byte size matches its shape, and the entries tile the data section exactly (no gap,
/// no overlap, nothing past the end). After that, reading a tensor is a bounded copy that cannot run
/// outside the file, and a strict load can decide to refuse a file without having modified anything.
/// </remarks>
internal static class SafetensorsHeader
{
    public const string MetadataKey = "__metadata__";

    public static (List<SafetensorsEntry> Entries, Dictionary<string, string> Metadata) Parse(
        string path, byte[] json, long dataLength)
    {
        // JsonDocument checks structure but leaves string contents to be transcoded later, where bad
        // UTF-8 would surface as an InvalidOperationException; check the encoding up front instead.
        if (!System.Text.Unicode.Utf8.IsValid(json))
            throw new SafetensorsFormatException(path, "the header is not valid UTF-8 text");

        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new SafetensorsFormatException(path, $"the header is not valid JSON ({e.Message})", inner: e);
        }

        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw new SafetensorsFormatException(path, $"the header is a JSON {Describe(root.ValueKind)}, not an object of tensors");

            var entries = new List<SafetensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            // JsonDocument keeps duplicate properties; the format forbids them because two readers could
            // pick different ones. Names are compared after unescaping, so "a" and "\u0061" collide too.
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in root.EnumerateObject())
            {
                string name = property.Name;
                if (!seen.Add(name))
                    throw new SafetensorsFormatException(path, "the name appears more than once in the header", name);
                if (name == MetadataKey)
                    ReadMetadata(path, property.Value, metadata);
                else
                    entries.Add(ReadEntry(path, name, property.Value, dataLength));
            }

            CheckTiling(path, entries, dataLength);
            return (entries, metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(path, $"\"{MetadataKey}\" is a JSON {Describe(value.ValueKind)}, not an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new SafetensorsFormatException(path,
                    $"\"{MetadataKey}\" value for \"{item.Name}\" is a JSON {Describe(item.Value.ValueKind)}, not a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!))
                throw new SafetensorsFormatException(path, $"\"{MetadataKey}\" has the key \"{item.Name}\" more than once");
        }
    }

    private static SafetensorsEntry ReadEntry(string path, string name, JsonElement value, long dataLength)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw new SafetensorsFormatException(path, $"the entry is a JSON {Describe(value.ValueKind)}, not an object with dtype, shape and data_offsets", name);

        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw new SafetensorsFormatException(path, "\"dtype\" is missing or not a string", name);
        string? dtypeName = dtypeElement.GetString();
        if (!SafetensorsDtypes.TryParse(dtypeName, out var dtype))
            throw new SafetensorsFormatException(path, $"unknown dtype \"{dtypeName}\"", name);

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw new SafetensorsFormatException(path, "\"shape\" is missing or not an array", name);
        var shape = new long[shapeElement.GetArrayLength()];
        int i = 0;
        foreach (var dim in shapeElement.EnumerateArray())
        {
            if (dim.ValueKind != JsonValueKind.Number || !dim.TryGetInt64(out long d))
                throw new SafetensorsFormatException(path, $"dimension {i} of the shape is {dim.GetRawText()}, not an integer that fits in 64 bits", name);
            if (d < 0)
                throw new SafetensorsFormatException(path, $"dimension {i} of the shape is negative ({d})", name);
            shape[i++] = d;
        }

        if (!value.TryGetProperty("data_offsets", out var offsetsElement) || offsetsElement.ValueKind != JsonValueKind.Array
            || offsetsElement.GetArrayLength() != 2)
            throw new SafetensorsFormatException(path, "\"data_offsets\" is missing or not an array of two integers", name);
        long begin = ReadOffset(path, name, offsetsElement[0], "begin");
        long end = ReadOffset(path, name, offsetsElement[1], "end");
        if (end < begin)
            throw new SafetensorsFormatException(path, $"data_offsets [{begin},{end}] end before they begin", name);

        long expectedBytes = ByteSize(path, name, shape, dtype);
        if (end - begin != expectedBytes)
            throw new SafetensorsFormatException(path,
                $"shape {ShapeText.Format(shape)} of {dtype} needs {expectedBytes} bytes but data_offsets [{begin},{end}] hold {end - begin}", name);
        if (end > dataLength)
            throw new SafetensorsFormatException(path,
                $"data_offsets [{begin},{end}] run past the end of the data section, which has {dataLength} bytes (truncated file or wrong offsets)", name);

        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    private static long ReadOffset(string path, string name, JsonElement element, string which)
    {
        if (element.ValueKind != JsonValueKind.Number || !element.TryGetInt64(out long offset) || offset < 0)
            throw new SafetensorsFormatException(path, $"data_offsets {which} is {element.GetRawText()}, not a non-negative 64-bit integer", name);
        return offset;
    }

    /// <summary>Bytes the shape needs; overflow is a format error, since it cannot describe real data.</summary>
    private static long ByteSize(string path, string name, long[] shape, SafetensorsDtype dtype)
    {
        // A zero dimension makes the tensor empty whatever the others say; checking it first keeps
        // [huge, huge, 0] from being reported as an overflow.
        if (Array.IndexOf(shape, 0L) >= 0)
            return 0;
        try
        {
            long elements = 1;
            foreach (long d in shape)
                elements = checked(elements * d);
            return checked(elements * dtype.ElementSize());
        }
        catch (OverflowException)
        {
            throw new SafetensorsFormatException(path, $"shape {ShapeText.Format(shape)} of {dtype} has more bytes than a 64-bit size can count", name);
        }
    }

    /// <summary>
    /// The entries must cover the data section exactly once: this is what makes the byte ranges trustworthy
    /// (overlaps would let two tensors alias, gaps would hide unread data) and it catches truncation.
    /// </summary>
    private static void CheckTiling(string path, List<SafetensorsEntry> entries, long dataLength)
    {
        var byOffset = new List<SafetensorsEntry>(entries);
        byOffset.Sort((a, b) => a.DataBegin != b.DataBegin ? a.DataBegin.CompareTo(b.DataBegin) : a.DataEnd.CompareTo(b.DataEnd));
        long covered = 0;
        SafetensorsEntry? previous = null;
        foreach (var entry in byOffset)
        {
            if (entry.DataBegin < covered)
                throw new SafetensorsFormatException(path,
                    $"data_offsets [{entry.DataBegin},{entry.DataEnd}] overlap tensor '{previous!.Name}' [{previous.DataBegin},{previous.DataEnd}]", entry.Name);
            if (entry.DataBegin > covered)
                throw new SafetensorsFormatException(path,
                    $"data_offsets [{entry.DataBegin},{entry.DataEnd}] leave bytes [{covered},{entry.DataBegin}) of the data section belonging to no tensor", entry.Name);
            covered = entry.DataEnd;
            previous = entry;
        }
        if (covered != dataLength)
            throw new SafetensorsFormatException(path,
                $"the tensors cover {covered} bytes but the data section has {dataLength}: {dataLength - covered} trailing bytes belong to no tensor");
    }

    private static string Describe(JsonValueKind kind) => kind switch
    {
        JsonValueKind.Array => "array",
        JsonValueKind.String => "string",
        JsonValueKind.Number => "number",
        JsonValueKind.True or JsonValueKind.False => "boolean",
        JsonValueKind.Null => "null",
        JsonValueKind.Object => "object",
        _ => kind.ToString(),
    };
}
