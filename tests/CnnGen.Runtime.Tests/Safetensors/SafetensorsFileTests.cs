using CnnGen.Runtime.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests.Safetensors;

/// <summary>The public reader tests and samples use to look into a file and read single tensors.</summary>
public sealed class SafetensorsFileTests : SafetensorsTestBase
{
    private string WriteSample() => WriteTensors("sample.safetensors",
        ("z.input", "F32", new long[] { 1, 2, 3 }, Encode.F32(1, 2, 3, 4, 5, 6)),
        ("a.half", "F16", new long[] { 2 }, Encode.U16Bits(0x3C00, 0xC000)),
        ("count", "I64", Array.Empty<long>(), Encode.I64(-5)),
        ("empty", "F32", new long[] { 0, 4 }, Array.Empty<byte>()),
        ("mask", "U8", new long[] { 3 }, new byte[] { 0, 7, 255 }));

    [Fact]
    public void Entries_AreListedByNameWithDtypeShapeAndOffsets()
    {
        using var file = SafetensorsFile.Open(WriteSample());

        Assert.Equal(new[] { "a.half", "count", "empty", "mask", "z.input" }, file.Entries.Select(e => e.Name));
        var input = file["z.input"];
        Assert.Equal(SafetensorsDtype.F32, input.Dtype);
        Assert.Equal(new long[] { 1, 2, 3 }, input.Shape);
        Assert.Equal(0, input.DataBegin);
        Assert.Equal(24, input.ByteLength);
        Assert.Empty(file["count"].Shape);
        Assert.Equal("z.input: F32 [1,2,3]", input.ToString());
        Assert.True(file.Contains("mask"));
        Assert.False(file.Contains("nothing"));
        Assert.Empty(file.Metadata);
    }

    [Fact]
    public void ReadTensor_GivesTheStoredDtypeAndValues()
    {
        using var file = SafetensorsFile.Open(WriteSample());

        using var input = file.ReadTensor("z.input");
        Assert.Equal(ScalarType.Float32, input.dtype);
        Assert.Equal(new long[] { 1, 2, 3 }, input.shape);
        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, input.data<float>().ToArray());

        using var half = file.ReadTensor("a.half");
        Assert.Equal(ScalarType.Float16, half.dtype);
        Assert.Equal(new[] { 1f, -2f }, TensorAssert.Floats(half));

        using var count = file.ReadTensor("count");
        Assert.Equal(0, count.dim());
        Assert.Equal(-5L, count.item<long>());

        using var mask = file.ReadTensor("mask");
        Assert.Equal(ScalarType.Byte, mask.dtype);
        Assert.Equal(new byte[] { 0, 7, 255 }, mask.data<byte>().ToArray());

        using var empty = file.ReadTensor("empty");
        Assert.Equal(new long[] { 0, 4 }, empty.shape);
    }

    [Fact]
    public void ReadTensor_ConvertsOnRequest()
    {
        using var file = SafetensorsFile.Open(WriteSample());
        using var half = file.ReadTensor("a.half", ScalarType.Float64);
        Assert.Equal(ScalarType.Float64, half.dtype);
        Assert.Equal(new[] { 1.0, -2.0 }, half.data<double>().ToArray());
    }

    [Fact]
    public void ReadTensor_UnknownName_SaysWhichFile()
    {
        var path = WriteSample();
        using var file = SafetensorsFile.Open(path);
        var e = Assert.Throws<KeyNotFoundException>(() => file.ReadTensor("nope"));
        Assert.Contains("'nope'", e.Message);
        Assert.Contains(path, e.Message);
    }

    [Fact]
    public void ReadInto_FillsANonContiguousDestination()
    {
        using var file = SafetensorsFile.Open(WriteSample());
        using var storage = zeros(3, 2, 1);
        using var destination = storage.permute(2, 1, 0); // shape [1,2,3], strided
        Assert.False(destination.is_contiguous());

        file.ReadInto("z.input", destination);

        Assert.Equal(new float[] { 1, 2, 3, 4, 5, 6 }, TensorAssert.Floats(destination));
        Assert.Equal(new float[] { 1, 4, 2, 5, 3, 6 }, storage.data<float>().ToArray());
    }

    [Fact]
    public void ReadInto_RefusesAWrongShape()
    {
        using var file = SafetensorsFile.Open(WriteSample());
        using var destination = zeros(6);
        var e = Assert.Throws<ArgumentException>(() => file.ReadInto("z.input", destination));
        Assert.Contains("[1,2,3]", e.Message);
        Assert.Contains("[6]", e.Message);
    }

    [Fact]
    public void NarrowedViewBytes_StartAtTheViewsOwnData()
    {
        // TensorBytes walks big tensors in chunks of narrow(); this is the TorchSharp behaviour it relies on.
        using var t = arange(10, dtype: ScalarType.Float32);
        using var part = t.narrow(0, 6, 3);
        var span = part.bytes;
        Assert.Equal(12, span.Length);
        Assert.Equal(6f, BitConverter.ToSingle(span[..4]));
        Assert.Equal(8f, BitConverter.ToSingle(span[8..12]));
    }

    [Fact]
    public void OpenFile_DoesNotKeepOthersFromReading()
    {
        var path = WriteSample();
        using var first = SafetensorsFile.Open(path);
        using var second = SafetensorsFile.Open(path);
        using var a = first.ReadTensor("count");
        using var b = second.ReadTensor("count");
        // Each reader gives the value written (not merely the same as the other: both go through one code path).
        Assert.Equal(-5L, a.item<long>());
        Assert.Equal(-5L, b.item<long>());
    }
}
