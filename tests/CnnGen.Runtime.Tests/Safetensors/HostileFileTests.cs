using System.Buffers.Binary;
using CnnGen.Runtime.Weights;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests.Safetensors;

/// <summary>
/// Damaged and hostile files: each must raise <see cref="SafetensorsFormatException"/> naming the problem
/// (and the tensor, where one is at fault) instead of crashing, hanging or reading outside the file.
/// </summary>
public sealed class HostileFileTests : SafetensorsTestBase
{
    private const string OneTensor = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";

    private SafetensorsFormatException Rejects(string path)
    {
        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        Assert.Equal(path, e.Path);
        Assert.Contains(path, e.Message);
        // Loading goes through the same validation.
        using var module = nn.Linear(2, 1);
        Assert.Throws<SafetensorsFormatException>(() => module.LoadSafetensors(path, strict: false));
        return e;
    }

    [Fact]
    public void ValidControlFile_Opens()
    {
        // The base every hostile case below alters by one thing.
        using var file = SafetensorsFile.Open(WriteRaw("ok.safetensors", OneTensor, Encode.F32(1, 2)));
        using var w = file.ReadTensor("w");
        Assert.Equal(new[] { 1f, 2f }, TensorAssert.Floats(w));
    }

    [Fact]
    public void EmptyFile()
    {
        var e = Rejects(WriteBytes("empty.safetensors", Array.Empty<byte>()));
        Assert.Contains("the file is empty", e.Message);
    }

    [Fact]
    public void FileShorterThanTheLengthPrefix()
    {
        var e = Rejects(WriteBytes("short.safetensors", new byte[] { 8, 0, 0 }));
        Assert.Contains("only 3 bytes", e.Message);
    }

    [Fact]
    public void HeaderLengthPastTheEndOfTheFile()
    {
        var e = Rejects(WriteRaw("long-header.safetensors", OneTensor, Encode.F32(1, 2), declaredHeaderLength: 4096));
        Assert.Contains("header length 4096 runs past the end of the file", e.Message);
    }

    [Fact]
    public void AbsurdHeaderLength()
    {
        // What the first 8 bytes of a pickle or zip checkpoint look like as a length: far over the limit.
        var e = Rejects(WriteRaw("huge-header.safetensors", OneTensor, Encode.F32(1, 2), declaredHeaderLength: ulong.MaxValue));
        Assert.Contains($"header length {ulong.MaxValue} exceeds the 100 MB limit", e.Message);

        var justOver = Rejects(WriteRaw("over-limit.safetensors", OneTensor, Encode.F32(1, 2), declaredHeaderLength: 100UL * 1024 * 1024 + 1));
        Assert.Contains("exceeds the 100 MB limit", justOver.Message);
    }

    [Fact]
    public void InvalidJson()
    {
        var e = Rejects(WriteRaw("bad-json.safetensors", "{\"w\":{\"dtype\":\"F32\",", Encode.F32(1, 2)));
        Assert.Contains("the header is not valid JSON", e.Message);
    }

    [Fact]
    public void InvalidUtf8()
    {
        var path = WriteRaw("bad-utf8.safetensors", "{\"\u00e9\":1}   ");
        var bytes = File.ReadAllBytes(path);
        bytes[10] = 0xFF; // the first byte of é
        File.WriteAllBytes(path, bytes);
        var e = Rejects(path);
        Assert.Contains("the header is not valid UTF-8", e.Message);
    }

    [Fact]
    public void HeaderThatIsNotAnObject()
    {
        var e = Rejects(WriteRaw("array.safetensors", "[1, 2, 3]"));
        Assert.Contains("the header is a JSON array, not an object", e.Message);
    }

    [Fact]
    public void EntryThatIsNotAnObject()
    {
        var e = Rejects(WriteRaw("entry.safetensors", "{\"w\": \"F32\"}"));
        Assert.Equal("w", e.TensorName);
        Assert.Contains("the entry is a JSON string", e.Message);
    }

    [Fact]
    public void UnknownDtype()
    {
        var e = Rejects(WriteRaw("dtype.safetensors", OneTensor.Replace("F32", "F17"), Encode.F32(1, 2)));
        Assert.Equal("w", e.TensorName);
        Assert.Contains("unknown dtype \"F17\"", e.Message);
        Assert.Contains("tensor 'w'", e.Message);
    }

    [Fact]
    public void LowercaseDtype_IsUnknownToo()
    {
        var e = Rejects(WriteRaw("dtype-case.safetensors", OneTensor.Replace("F32", "f32"), Encode.F32(1, 2)));
        Assert.Contains("unknown dtype \"f32\"", e.Message);
    }

    [Fact]
    public void DuplicateNames()
    {
        const string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                            + "\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        var e = Rejects(WriteRaw("dup.safetensors", header, Encode.F32(1, 2)));
        Assert.Equal("w", e.TensorName);
        Assert.Contains("appears more than once", e.Message);
    }

    [Fact]
    public void DuplicateNames_SpelledWithEscapes()
    {
        const string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[0,4]},"
                            + "\"\\u0077\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        var e = Rejects(WriteRaw("dup-escaped.safetensors", header, Encode.F32(1, 2)));
        Assert.Contains("appears more than once", e.Message);
    }

    [Fact]
    public void OverlappingOffsets()
    {
        const string header = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]},"
                            + "\"b\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[4,12]}}";
        var e = Rejects(WriteRaw("overlap.safetensors", header, Encode.F32(1, 2, 3)));
        Assert.Equal("b", e.TensorName);
        Assert.Contains("overlap tensor 'a' [0,8]", e.Message);
    }

    [Fact]
    public void OffsetsPastTheDataSection()
    {
        const string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[1000000,1000008]}}";
        var e = Rejects(WriteRaw("out-of-range.safetensors", header, Encode.F32(1, 2)));
        Assert.Equal("w", e.TensorName);
        Assert.Contains("run past the end of the data section, which has 8 bytes", e.Message);
    }

    [Fact]
    public void OffsetsLeavingAGap()
    {
        const string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[1],\"data_offsets\":[4,8]}}";
        var e = Rejects(WriteRaw("gap.safetensors", header, Encode.F32(1, 2)));
        Assert.Equal("w", e.TensorName);
        Assert.Contains("leave bytes [0,4) of the data section belonging to no tensor", e.Message);
    }

    [Fact]
    public void TrailingBytesAfterTheLastTensor()
    {
        var e = Rejects(WriteRaw("trailing.safetensors", OneTensor, Encode.F32(1, 2, 3)));
        Assert.Contains("the tensors cover 8 bytes but the data section has 12: 4 trailing bytes", e.Message);
    }

    [Fact]
    public void OffsetsEndingBeforeTheyBegin()
    {
        const string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[0],\"data_offsets\":[8,0]}}";
        var e = Rejects(WriteRaw("reversed.safetensors", header, Encode.F32(1, 2)));
        Assert.Contains("data_offsets [8,0] end before they begin", e.Message);
    }

    [Fact]
    public void NegativeOffset()
    {
        const string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[-8,0]}}";
        var e = Rejects(WriteRaw("negative-offset.safetensors", header, Encode.F32(1, 2)));
        Assert.Contains("data_offsets begin is -8, not a non-negative 64-bit integer", e.Message);
    }

    [Fact]
    public void ShapeDisagreeingWithOffsets()
    {
        const string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[3],\"data_offsets\":[0,8]}}";
        var e = Rejects(WriteRaw("shape-size.safetensors", header, Encode.F32(1, 2)));
        Assert.Equal("w", e.TensorName);
        Assert.Contains("shape [3] of F32 needs 12 bytes but data_offsets [0,8] hold 8", e.Message);
    }

    [Fact]
    public void NegativeDimension()
    {
        const string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[-2,-1],\"data_offsets\":[0,8]}}";
        var e = Rejects(WriteRaw("negative-dim.safetensors", header, Encode.F32(1, 2)));
        Assert.Contains("dimension 0 of the shape is negative (-2)", e.Message);
    }

    [Fact]
    public void DimensionsWhoseProductOverflows()
    {
        // 2^32 * 2^32 elements wraps to 0 in 64 bits; a reader multiplying unchecked would accept [0,0].
        const string header = "{\"w\":{\"dtype\":\"F32\",\"shape\":[4294967296,4294967296],\"data_offsets\":[0,0]}}";
        var e = Rejects(WriteRaw("overflow.safetensors", header));
        Assert.Equal("w", e.TensorName);
        Assert.Contains("more bytes than a 64-bit size can count", e.Message);
    }

    [Fact]
    public void DimensionTooLargeOrNotAnInteger()
    {
        const string tooLarge = "{\"w\":{\"dtype\":\"F32\",\"shape\":[99999999999999999999],\"data_offsets\":[0,8]}}";
        Assert.Contains("not an integer that fits in 64 bits", Rejects(WriteRaw("big-dim.safetensors", tooLarge, Encode.F32(1, 2))).Message);
        const string fraction = "{\"w\":{\"dtype\":\"F32\",\"shape\":[2.5],\"data_offsets\":[0,8]}}";
        Assert.Contains("dimension 0 of the shape is 2.5", Rejects(WriteRaw("frac-dim.safetensors", fraction, Encode.F32(1, 2))).Message);
    }

    [Fact]
    public void MissingFields()
    {
        Assert.Contains("\"shape\" is missing",
            Rejects(WriteRaw("no-shape.safetensors", "{\"w\":{\"dtype\":\"F32\",\"data_offsets\":[0,8]}}", Encode.F32(1, 2))).Message);
        Assert.Contains("\"data_offsets\" is missing or not an array of two integers",
            Rejects(WriteRaw("three-offsets.safetensors", "{\"w\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,4,8]}}", Encode.F32(1, 2))).Message);
        Assert.Contains("\"dtype\" is missing",
            Rejects(WriteRaw("no-dtype.safetensors", "{\"w\":{\"shape\":[2],\"data_offsets\":[0,8]}}", Encode.F32(1, 2))).Message);
    }

    [Fact]
    public void MetadataThatIsNotStrings()
    {
        var e = Rejects(WriteRaw("meta.safetensors", "{\"__metadata__\":{\"epochs\":3}}"));
        Assert.Contains("\"__metadata__\" value for \"epochs\" is a JSON number, not a string", e.Message);
    }

    [Fact]
    public void TruncatedFile()
    {
        using var module = new TinyNet();
        var path = PathFor("whole.safetensors");
        module.SaveSafetensors(path);
        var bytes = File.ReadAllBytes(path);
        var truncated = WriteBytes("truncated.safetensors", bytes[..(bytes.Length - 100)]);

        var e = Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(truncated));
        Assert.Contains("truncated file", e.Message);
        Assert.NotNull(e.TensorName);
        Assert.Throws<SafetensorsFormatException>(() => module.LoadSafetensors(truncated));
    }

    [Fact]
    public void TruncatedInsideTheHeader()
    {
        var path = WriteRaw("cut-header.safetensors", OneTensor, Encode.F32(1, 2));
        var bytes = File.ReadAllBytes(path);
        var cut = WriteBytes("cut-header2.safetensors", bytes[..20]);
        var e = Rejects(cut);
        Assert.Contains("runs past the end of the file", e.Message);
    }

    [Fact]
    public void EveryPrefixOfAValidFile_IsRejectedCleanly()
    {
        // Truncation at any byte: never a crash, never anything but the format exception.
        var whole = File.ReadAllBytes(WriteRaw("prefix-src.safetensors", OneTensor, Encode.F32(1, 2)));
        for (int length = 0; length < whole.Length; length++)
        {
            var path = WriteBytes("prefix.safetensors", whole[..length]);
            Assert.Throws<SafetensorsFormatException>(() => SafetensorsFile.Open(path).Dispose());
        }
    }

    [Fact]
    public void DeeplyNestedJson_IsRejectedNotStackOverflowed()
    {
        var nested = "{\"w\":" + new string('[', 100_000) + new string(']', 100_000) + "}";
        var e = Rejects(WriteRaw("nested.safetensors", nested));
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void LengthPrefixIsLittleEndian()
    {
        // A big-endian length of 8 reads as 2^59 little-endian: rejected as absurd, not misread.
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64BigEndian(bytes, 8);
        "{}      "u8.CopyTo(bytes.AsSpan(8));
        Assert.Contains("exceeds the 100 MB limit", Rejects(WriteBytes("big-endian.safetensors", bytes)).Message);
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, 8);
        using var file = SafetensorsFile.Open(WriteBytes("little-endian.safetensors", bytes));
        Assert.Empty(file.Entries);
    }
}
