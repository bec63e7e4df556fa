using CnnGen.Runtime.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests.Safetensors;

/// <summary>
/// Files written byte by byte in each dtype, with values chosen so the exact F32 result is known,
/// loaded into F32 (and F64, I64) module tensors.
/// </summary>
public sealed class DtypeConversionTests : SafetensorsTestBase
{
    private static readonly long[] WeightShape = { 2, 2 };
    private static readonly long[] BiasShape = { 2 };

    private (float[] Weight, float[] Bias) LoadIntoLinear(string path)
    {
        using var linear = nn.Linear(2, 2);
        var report = linear.LoadSafetensors(path);
        Assert.Equal(2, report.LoadedCount);
        Assert.Equal(ScalarType.Float32, linear.weight!.dtype);
        return (TensorAssert.Floats(linear.weight), TensorAssert.Floats(linear.bias!));
    }

    [Fact]
    public void F16_LoadsIntoF32()
    {
        // 1.5, -2.25, 0.0999755859375 (half's nearest to 0.1), 65504 (half max); 2^-14 (smallest normal), 2^-24 (smallest subnormal).
        var path = WriteTensors("f16.safetensors",
            ("weight", "F16", WeightShape, Encode.U16Bits(0x3E00, 0xC080, 0x2E66, 0x7BFF)),
            ("bias", "F16", BiasShape, Encode.U16Bits(0x0400, 0x0001)));

        var (weight, bias) = LoadIntoLinear(path);

        Assert.Equal(new[] { 1.5f, -2.25f, 0.0999755859375f, 65504f }, weight);
        Assert.Equal(new[] { 6.103515625e-05f, 5.9604644775390625e-08f }, bias);
    }

    [Fact]
    public void BF16_LoadsIntoF32()
    {
        // bf16 is the top half of an f32: 1.0, -3.5, 3.140625, 2^-10; bf16 max and -infinity.
        var path = WriteTensors("bf16.safetensors",
            ("weight", "BF16", WeightShape, Encode.U16Bits(0x3F80, 0xC060, 0x4049, 0x3A80)),
            ("bias", "BF16", BiasShape, Encode.U16Bits(0x7F7F, 0xFF80)));

        var (weight, bias) = LoadIntoLinear(path);

        Assert.Equal(new[] { 1f, -3.5f, 3.140625f, 0.0009765625f }, weight);
        Assert.Equal(BitConverter.Int32BitsToSingle(0x7F7F0000), bias[0]);
        Assert.Equal(3.3895314e38f, bias[0]);
        Assert.Equal(float.NegativeInfinity, bias[1]);
    }

    [Fact]
    public void F64_LoadsIntoF32_RoundingToNearest()
    {
        var doubles = new[] { 0.1, -1e-3, 123456.789, 1e-50, float.MaxValue, 2.5 };
        var path = WriteTensors("f64.safetensors",
            ("weight", "F64", WeightShape, Encode.F64(doubles[..4])),
            ("bias", "F64", BiasShape, Encode.F64(doubles[4..])));

        var (weight, bias) = LoadIntoLinear(path);

        Assert.Equal(new[] { 0.1f, -1e-3f, 123456.79f, 0f }, weight);
        Assert.Equal(new[] { float.MaxValue, 2.5f }, bias);
    }

    [Fact]
    public void F32_LoadsIntoF32Unchanged_AndIntoF64()
    {
        var path = WriteTensors("f32.safetensors",
            ("weight", "F32", WeightShape, Encode.F32(0.1f, -7.25f, float.Epsilon, 1e38f)),
            ("bias", "F32", BiasShape, Encode.F32(-0f, 3f)));

        var (weight, _) = LoadIntoLinear(path);
        Assert.Equal(new[] { 0.1f, -7.25f, float.Epsilon, 1e38f }, weight);

        using var wide = nn.Linear(2, 2, dtype: ScalarType.Float64);
        wide.LoadSafetensors(path);
        var values = wide.weight!.data<double>().ToArray();
        Assert.Equal(new[] { (double)0.1f, -7.25, (double)float.Epsilon, (double)1e38f }, values);
    }

    [Fact]
    public void F16Module_ReceivesF32Values()
    {
        var path = WriteTensors("f32.safetensors",
            ("weight", "F32", WeightShape, Encode.F32(1.5f, 0.1f, -2f, 70000f)),
            ("bias", "F32", BiasShape, Encode.F32(0f, 1f)));
        using var half = nn.Linear(2, 2, dtype: ScalarType.Float16);

        half.LoadSafetensors(path);

        Assert.Equal(ScalarType.Float16, half.weight!.dtype);
        // 0.1 rounds to half's 0.0999755859375; 70000 is past half's max and becomes infinity.
        Assert.Equal(new[] { 1.5f, 0.0999755859375f, -2f, float.PositiveInfinity }, TensorAssert.Floats(half.weight));
    }

    private string WriteBatchNorm(string name, string counterDtype, byte[] counter) => WriteTensors(name,
        ("weight", "F32", BiasShape, Encode.F32(1f, 2f)),
        ("bias", "F32", BiasShape, Encode.F32(3f, 4f)),
        ("running_mean", "F32", BiasShape, Encode.F32(5f, 6f)),
        ("running_var", "F32", BiasShape, Encode.F32(7f, 8f)),
        ("num_batches_tracked", counterDtype, Array.Empty<long>(), counter));

    [Fact]
    public void Counter_TorchSharpsDtypeDependsOnHowBatchNormWasBuilt()
    {
        // The facts the counter rule exists for: PyTorch's counter is always int64; TorchSharp 0.107's
        // is int64 by default but takes the module's dtype when one is passed (as generated code may).
        using var plain = nn.BatchNorm2d(2);
        using var typed = nn.BatchNorm2d(2, dtype: ScalarType.Float32);
        Assert.Equal(ScalarType.Int64, plain.state_dict()["num_batches_tracked"].dtype);
        Assert.Equal(ScalarType.Float32, typed.state_dict()["num_batches_tracked"].dtype);
        Assert.Empty(typed.state_dict()["num_batches_tracked"].shape);
    }

    [Theory]
    [InlineData("I64", 1L << 40)] // PyTorch's dtype; 2^40 is exact in F32
    [InlineData("I32", 123456L)]
    [InlineData("U8", 200L)]
    public void IntegerCounter_LoadsIntoTorchSharpsCounter(string dtype, long value)
    {
        var bytes = dtype switch { "I64" => Encode.I64(value), "I32" => Encode.I32((int)value), _ => new[] { (byte)value } };
        var path = WriteBatchNorm($"counter-{dtype}.safetensors", dtype, bytes);
        foreach (var counterType in new[] { ScalarType.Int64, ScalarType.Float32 })
        {
            using var bn = counterType == ScalarType.Int64 ? nn.BatchNorm2d(2) : nn.BatchNorm2d(2, dtype: ScalarType.Float32);
            Assert.Equal(counterType, bn.num_batches_tracked!.dtype);

            var report = bn.LoadSafetensors(path);

            Assert.Equal(5, report.LoadedCount);
            Assert.Equal(value, TensorAssert.Count(bn.num_batches_tracked!));
            Assert.Equal(new[] { 7f, 8f }, TensorAssert.Floats(bn.running_var!));
            Assert.Equal(new[] { 1f, 2f }, TensorAssert.Floats(bn.weight!));
        }
    }

    [Fact]
    public void I64Counter_LoadsExactlyIntoAnI64Tensor()
    {
        var path = WriteTensors("counter-i64.safetensors",
            ("layer.num_batches_tracked", "I64", Array.Empty<long>(), Encode.I64(long.MaxValue - 1)));
        using var file = SafetensorsFile.Open(path);
        using var destination = zeros(Array.Empty<long>(), dtype: ScalarType.Int64);

        file.ReadInto("layer.num_batches_tracked", destination);

        Assert.Equal(long.MaxValue - 1, destination.item<long>());
    }

    [Fact]
    public void SavedCounter_IsI64InTheFile()
    {
        using var bn = nn.BatchNorm2d(2, dtype: ScalarType.Float32); // a Float32 counter
        bn.num_batches_tracked!.fill_(77);
        var path = PathFor("saved.safetensors");
        bn.SaveSafetensors(path);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(SafetensorsDtype.I64, file["num_batches_tracked"].Dtype);
        using var stored = file.ReadTensor("num_batches_tracked");
        Assert.Equal(77L, stored.item<long>());
        Assert.Equal(SafetensorsDtype.F32, file["running_var"].Dtype);
    }

    [Fact]
    public void BoolCounter_IsADtypeMismatch_AndNonStrictSkipsIt()
    {
        var path = WriteBatchNorm("bool-counter.safetensors", "BOOL", new byte[] { 1 });
        using var bn = nn.BatchNorm2d(2);
        bn.num_batches_tracked!.fill_(9);

        var e = Assert.Throws<SafetensorsLoadException>(() => bn.LoadSafetensors(path));
        Assert.Contains("1 dtype mismatch: num_batches_tracked file BOOL vs module Int64", e.Message);

        var report = bn.LoadSafetensors(path, strict: false);
        Assert.Equal(4, report.LoadedCount);
        Assert.Equal(9L, TensorAssert.Count(bn.num_batches_tracked));
    }

    [Fact]
    public void FloatDataForAnIntegerTensor_IsADtypeMismatch()
    {
        // Outside the counter rule, a float file tensor never goes into an integer module tensor.
        var path = WriteTensors("float-index.safetensors", ("index", "F32", BiasShape, Encode.F32(1.5f, 2f)));
        using var file = SafetensorsFile.Open(path);
        using var destination = zeros(2, dtype: ScalarType.Int64);
        var e = Assert.Throws<ArgumentException>(() => file.ReadInto("index", destination));
        Assert.Contains("F32 is not an integer type and the module expects Int64", e.Message);
    }

    [Fact]
    public void DtypeWithoutTorchSharpType_IsRefusedClearly()
    {
        var path = WriteTensors("u16.safetensors",
            ("weight", "U16", WeightShape, Encode.U16Bits(1, 2, 3, 4)),
            ("bias", "F32", BiasShape, Encode.F32(0f, 1f)));
        using var linear = nn.Linear(2, 2);

        var e = Assert.Throws<SafetensorsLoadException>(() => linear.LoadSafetensors(path));
        Assert.Contains("weight file U16 vs module Float32 (U16 has no TorchSharp element type)", e.Message);

        using var file = SafetensorsFile.Open(path);
        Assert.Equal(SafetensorsDtype.U16, file["weight"].Dtype);
        var read = Assert.Throws<NotSupportedException>(() => file.ReadTensor("weight"));
        Assert.Contains("U16", read.Message);
    }
}
