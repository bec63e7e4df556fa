using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using CnnGen.Runtime.Weights;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests.Safetensors;

/// <summary>Save then load gives back every parameter and buffer, and the bytes on disk follow the format.</summary>
public sealed class RoundTripTests : SafetensorsTestBase
{
    [Fact]
    public void SaveThenLoad_RestoresEveryParameterAndBuffer()
    {
        using var source = new TinyNet();
        source.Randomize(seed: 1);
        // Train-mode forwards move running_mean/var and count in num_batches_tracked, as training would.
        source.train();
        using (var x = rand(2, 4, 5, 5))
        for (int i = 0; i < 3; i++)
            using (source.Bn.call(x)) { }
        Assert.Equal(14L, TensorAssert.Count(source.Bn.num_batches_tracked!)); // Randomize set 11, plus 3 steps.
        var path = PathFor("tiny.safetensors");
        source.SaveSafetensors(path);

        using var target = new TinyNet();
        target.Randomize(seed: 2);
        var report = target.LoadSafetensors(path);

        var expected = source.state_dict();
        var actual = target.state_dict();
        Assert.Equal(expected.Keys.Order(), actual.Keys.Order());
        foreach (var (key, tensor) in expected)
            TensorAssert.Equal(tensor, actual[key], key);
        Assert.Equal(expected.Count, report.LoadedCount);
        Assert.False(report.HasProblems);
        Assert.Empty(report.IgnoredKeys);
        Assert.Contains("layer1.0.bn.running_var", report.LoadedKeys);
        Assert.Contains("layer1.0.bn.num_batches_tracked", report.LoadedKeys);
    }

    [Fact]
    public void LoadedNetwork_ComputesTheSameOutput()
    {
        using var source = new TinyNet();
        source.Randomize(seed: 3);
        var path = PathFor("tiny.safetensors");
        source.SaveSafetensors(path);
        using var target = new TinyNet();
        target.LoadSafetensors(path);
        source.eval();
        target.eval();

        using var x = rand(1, 3, 6, 6);
        using var a = source.Bn.call(source.conv1.call(x));
        using var b = target.Bn.call(target.conv1.call(x));
        TensorAssert.Equal(a, b, "output");
    }

    [Fact]
    public void LoadKeepsParameterIdentityAndGradFlag()
    {
        using var source = new TinyNet();
        source.Randomize(seed: 4);
        var path = PathFor("tiny.safetensors");
        source.SaveSafetensors(path);
        using var target = new TinyNet();
        var weightBefore = target.fc.weight!;

        target.LoadSafetensors(path);

        Assert.Same(weightBefore, target.fc.weight);
        Assert.True(target.fc.weight!.requires_grad);
        TensorAssert.Equal(source.fc.weight!, target.fc.weight!, "fc.weight");
    }

    [Fact]
    public void WrittenFile_HasSortedNamesPaddedHeaderAndContiguousOffsets()
    {
        using var module = new TinyNet();
        var path = PathFor("tiny.safetensors");
        module.SaveSafetensors(path);

        var bytes = File.ReadAllBytes(path);
        long headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        var headerText = Encoding.UTF8.GetString(bytes, 8, (int)headerLength);
        var unpadded = headerText.TrimEnd(' ');
        Assert.EndsWith("}", unpadded);
        Assert.InRange(headerText.Length - unpadded.Length, 0, 7); // only the padding is spaces
        using var header = JsonDocument.Parse(headerText);
        var names = header.RootElement.EnumerateObject().Select(p => p.Name).ToList();
        Assert.Equal(names.Order(StringComparer.Ordinal), names);
        long expectedBegin = 0;
        foreach (var p in header.RootElement.EnumerateObject())
        {
            var offsets = p.Value.GetProperty("data_offsets");
            Assert.Equal(expectedBegin, offsets[0].GetInt64());
            expectedBegin = offsets[1].GetInt64();
        }
        Assert.Equal(bytes.Length - 8 - headerLength, expectedBegin);
        Assert.Equal("I64", header.RootElement.GetProperty("layer1.0.bn.num_batches_tracked").GetProperty("dtype").GetString());
        Assert.Equal(0, header.RootElement.GetProperty("layer1.0.bn.num_batches_tracked").GetProperty("shape").GetArrayLength());
    }

    [Fact]
    public void Writer_ProducesTheExactBytesOfTheFormat()
    {
        // The file Python's safetensors.torch.save_file({"a": torch.tensor([1.0, 2.0])}) writes,
        // spelled out: length, header padded with spaces to a multiple of 8, raw little-endian floats.
        using var a = tensor(new float[] { 1f, 2f });
        var path = PathFor("golden.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["a"] = a });

        const string json = "{\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[0,8]}}";
        var padded = json.PadRight((json.Length + 7) / 8 * 8);
        var expected = new byte[8 + padded.Length + 8];
        BinaryPrimitives.WriteUInt64LittleEndian(expected, (ulong)padded.Length);
        Encoding.ASCII.GetBytes(padded).CopyTo(expected, 8);
        Encode.F32(1f, 2f).CopyTo(expected, 8 + padded.Length);
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void Metadata_IsWrittenAndReadBack()
    {
        using var module = new TinyNet();
        var path = PathFor("meta.safetensors");
        module.SaveSafetensors(path, metadata: new Dictionary<string, string> { ["format"] = "pt", ["source"] = "CnnGen test" });

        using var file = SafetensorsFile.Open(path);
        Assert.Equal("pt", file.Metadata["format"]);
        Assert.Equal("CnnGen test", file.Metadata["source"]);
        Assert.DoesNotContain(file.Entries, e => e.Name == "__metadata__");
        Assert.Equal(module.state_dict().Count, file.Entries.Count);
        module.LoadSafetensors(path); // metadata is not a tensor: no unexpected key
    }

    [Fact]
    public void Writer_HandlesNonContiguousTensors()
    {
        using var matrix = arange(6, dtype: ScalarType.Float32).reshape(2, 3);
        using var transposed = matrix.t();
        Assert.False(transposed.is_contiguous());
        var path = PathFor("t.safetensors");
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor> { ["t"] = transposed });

        using var file = SafetensorsFile.Open(path);
        using var back = file.ReadTensor("t");
        Assert.Equal(new long[] { 3, 2 }, back.shape);
        Assert.Equal(new float[] { 0, 3, 1, 4, 2, 5 }, TensorAssert.Floats(back));
    }

    [Fact]
    public void Writer_RejectsReservedAndDuplicateNamesAndLeavesNoFile()
    {
        using var a = zeros(1);
        var path = PathFor("bad.safetensors");
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path,
            new Dictionary<string, Tensor> { ["__metadata__"] = a }));
        Assert.Throws<ArgumentException>(() => SafetensorsWriter.Write(path,
            new[] { KeyValuePair.Create("x", a), KeyValuePair.Create("x", a) }));
        using var complex = zeros(2, dtype: ScalarType.ComplexFloat32);
        var e = Assert.Throws<NotSupportedException>(() => SafetensorsWriter.Write(path,
            new Dictionary<string, Tensor> { ["c"] = complex }));
        Assert.Contains("'c'", e.Message);
        Assert.Empty(System.IO.Directory.GetFiles(Directory));
    }

    [Fact]
    public void Save_ReplacesAnExistingFile()
    {
        var path = PathFor("again.safetensors");
        File.WriteAllText(path, "old contents that are not safetensors");
        using var module = new TinyNet();
        module.SaveSafetensors(path);
        using var file = SafetensorsFile.Open(path);
        Assert.Equal(module.state_dict().Count, file.Entries.Count);
        Assert.Single(System.IO.Directory.GetFiles(Directory));
    }
}
