using System.Buffers.Binary;
using CnnGen.Runtime.Tests.Safetensors;
using CnnGen.Runtime.Weights;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests.Checkpoints;

/// <summary>Content sniffing, and LoadWeights keeping LoadSafetensors' behaviour for safetensors files.</summary>
public sealed class WeightsFormatTests : SafetensorsTestBase
{
    [Fact]
    public void SafetensorsHeaderWhoseLengthStartsWith0x80_IsNotMistakenForAPickle()
    {
        // A header of 0x180 bytes: the first byte is 0x80 (PROTO) and the second 0x01.
        var head = new byte[9];
        BinaryPrimitives.WriteUInt64LittleEndian(head, 0x180);
        head[8] = (byte)'{';
        Assert.Equal(WeightsFormat.Safetensors, WeightsFormats.Detect(head));
        Assert.Equal(WeightsFormat.TorchLegacy, WeightsFormats.Detect(CheckpointBuilder.LegacyPreamble()));
        Assert.Equal(WeightsFormat.TorchZip, WeightsFormats.Detect("PK\x03\x04"u8));
        Assert.Equal(WeightsFormat.Unknown, WeightsFormats.Detect("{\"a\":1}"u8));
    }

    [Fact]
    public void SafetensorsStrictMismatch_ThroughLoadWeights_IsTheSafetensorsException_AndAWeightsLoadException()
    {
        using var source = new TinyNet(classes: 5);
        var path = PathFor("five.safetensors");
        source.SaveSafetensors(path);
        using var module = new TinyNet(classes: 3);
        var e = Assert.Throws<SafetensorsLoadException>(() => module.LoadWeights(path));
        Assert.IsAssignableFrom<WeightsLoadException>(e);
        Assert.Equal(2, e.Report.ShapeMismatches.Count);
    }

    [Fact]
    public void LoadWeights_AndLoadSafetensors_ReportTheSameForASafetensorsFile()
    {
        using var source = new TinyNet();
        source.Randomize(5);
        var path = PathFor("tiny.safetensors");
        source.SaveSafetensors(path);
        using var a = new TinyNet();
        using var b = new TinyNet();
        Assert.Equal(a.LoadWeights(path).LoadedKeys, b.LoadSafetensors(path).LoadedKeys);
        foreach (var (key, tensor) in a.state_dict())
            TensorAssert.Equal(b.state_dict()[key], tensor.detach(), key);
    }
}
