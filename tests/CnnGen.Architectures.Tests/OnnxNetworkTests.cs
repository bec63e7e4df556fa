using System.Runtime.InteropServices;
using CnnGen.Runtime;
using CnnGen.Runtime.Onnx;
using CnnGen.Serving;
using Google.Protobuf;
using Onnx;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// OnnxNetwork&lt;T&gt; serves a generated class's ONNX file: it gives the TorchSharp eval module's output, refuses
/// every wrong input and every wrong file with a message that says what is wrong (before ONNX Runtime sees it),
/// and 8 concurrent callers get exactly the serial results. (ConcurrencyTests does the same for the TorchSharp modules.)
/// </summary>
public sealed class OnnxNetworkTests(OnnxNetworkTests.ExportedResNet18 resNet18, Xunit.Abstractions.ITestOutputHelper log)
    : IClassFixture<OnnxNetworkTests.ExportedResNet18>
{
    /// <summary>One ResNet18 in eval mode and its ONNX file in memory, shared by the tests that need a valid model.</summary>
    public sealed class ExportedResNet18 : IDisposable
    {
        public ExportedResNet18()
        {
            manual_seed(15);
            Module = new ResNet18();
            Module.eval();
            Model = Export(Module);
        }

        public ResNet18 Module { get; }

        public byte[] Model { get; }

        public void Dispose() => Module.Dispose();
    }

    [Fact]
    public void ResNet18_gives_the_TorchSharp_eval_output()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cnngen-serving-{Guid.NewGuid():N}.onnx");
        File.WriteAllBytes(path, resNet18.Model);
        try
        {
            using var network = new OnnxNetwork<ResNet18>(path);
            AssertSameOutput(resNet18.Module, network, [2, 3, 224, 224], [1, 3, 96, 80]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void MobileNetV2_gives_the_TorchSharp_eval_output()
    {
        manual_seed(16);
        using var module = new MobileNetV2();
        module.eval();
        using var network = new OnnxNetwork<MobileNetV2>(Export(module));
        AssertSameOutput(module, network, [2, 3, 224, 224], [1, 3, 96, 80]);
    }

    [Theory]
    [InlineData(new long[] { 1, 1, 64, 64 }, "it has 1 channels, not 3")]
    [InlineData(new long[] { 3, 64, 64 }, "its rank is 3, not 4")]
    [InlineData(new long[] { 1, 1, 3, 64, 64 }, "its rank is 5, not 4")]
    [InlineData(new long[] { 0, 3, 64, 64 }, "a batch holds at least one sample, not 0")]
    public void A_wrong_input_is_named_with_both_shapes(long[] shape, string problem)
    {
        using var network = new OnnxNetwork<ResNet18>(resNet18.Model);
        var expected = $"ResNet18 expects a batch of shape [N, 3, H, W] with H >= 1 and W >= 1, but the input has shape [{string.Join(", ", shape)}]: {problem}.";
        AssertRefused(network, shape, expected);
        // The refused calls leave the network serving.
        Assert.Equal([1, 1000], network.Run(new float[3 * 32 * 32], [1, 3, 32, 32]).Shape);
    }

    [Fact]
    public void An_input_below_the_minimum_is_refused()
    {
        using var module = new GoogLeNet();
        using var network = new OnnxNetwork<GoogLeNet>(Export(module));
        AssertRefused(network, [1, 3, 14, 15],
            "GoogLeNet expects a batch of shape [N, 3, H, W] with H >= 15 and W >= 15, but the input has shape [1, 3, 14, 15]: its height and width 14x15 are below the minimum 15x15, where a layer would have no pixel left.");
        Assert.Equal([1, 1000], network.Run(new float[3 * 15 * 15], [1, 3, 15, 15]).Shape);
    }

    [Fact]
    public void A_fixed_size_class_takes_its_declared_size_only()
    {
        using var module = new LeNet5();
        using var network = new OnnxNetwork<LeNet5>(Export(module));
        AssertRefused(network, [1, 1, 28, 28],
            "LeNet5 expects a batch of shape [N, 1, 32, 32], but the input has shape [1, 1, 28, 28]: its height and width are 28x28, but only 32x32 is accepted (LeNet5's flatten sees the raw feature map).");
        Assert.Equal([2, 10], network.Run(new float[2 * 32 * 32], [2, 1, 32, 32]).Shape);
    }

    /// <summary>AlexNet's module takes any size from 63x63 (it pools adaptively to 6x6), but its ONNX file is fixed at 224x224.</summary>
    [Fact]
    public void A_file_exported_for_one_size_takes_that_size_only()
    {
        using var module = new AlexNet();
        var clock = System.Diagnostics.Stopwatch.StartNew();
        var model = Export(module);
        var exported = clock.Elapsed.TotalSeconds;
        using var network = new OnnxNetwork<AlexNet>(model);
        var opened = clock.Elapsed.TotalSeconds;
        AssertRefused(network, [1, 3, 256, 256],
            "AlexNet expects a batch of shape [N, 3, 224, 224], but the input has shape [1, 3, 256, 256]: its height and width are 256x256, but only 224x224 is accepted (this ONNX file was exported for that size only: its \"cnngen.dynamic_spatial\" is false).");
        Assert.Equal([1, 1000], network.Run(new float[3 * 224 * 224], [1, 3, 224, 224]).Shape);
        log.WriteLine($"AlexNet ({model.Length / 1e6:F0} MB): exported in {exported:F1} s, opened in {opened - exported:F1} s");
    }

    [Fact]
    public void Data_that_does_not_fill_the_shape_is_refused()
    {
        using var network = new OnnxNetwork<ResNet18>(resNet18.Model);
        var error = Assert.Throws<ArgumentException>(() => network.Run(new float[100], [1, 3, 64, 64]));
        Assert.Equal("data", error.ParamName);
        Assert.StartsWith("ResNet18: an input of shape [1, 3, 64, 64] holds 12288 values, but the data has 100.", error.Message);
        error = Assert.Throws<ArgumentException>(() => network.Run(new float[100], [1, 3, long.MaxValue / 2, 64]));
        Assert.StartsWith("ResNet18: an input of shape [1, 3, 4611686018427387903, 64] holds more values than a long can count, but the data has 100.", error.Message);
    }

    [Fact]
    public void A_tensor_that_is_not_float32_is_refused()
    {
        using var network = new OnnxNetwork<ResNet18>(resNet18.Model);
        using var input = zeros([1, 3, 64, 64], ScalarType.Float64);
        var error = Assert.Throws<ArgumentException>(() => network.Run(input));
        Assert.StartsWith("ResNet18 takes float32 values, but the input is Float64.", error.Message);
    }

    [Fact]
    public void A_file_of_another_class_is_refused_naming_both()
    {
        using var module = new MobileNetV2();
        var error = Assert.Throws<InvalidDataException>(() => new OnnxNetwork<ResNet18>(Export(module)));
        Assert.Equal("The ONNX model is a MobileNetV2 (its \"cnngen.class\" metadata), not a ResNet18: open it as OnnxNetwork<MobileNetV2>.", error.Message);
    }

    [Fact]
    public void A_file_without_CnnGen_metadata_is_refused_unless_the_caller_opts_out()
    {
        var model = ModelProto.Parser.ParseFrom(resNet18.Model);
        model.MetadataProps.Clear();
        var unlabelled = model.ToByteArray();
        var error = Assert.Throws<InvalidDataException>(() => new OnnxNetwork<ResNet18>(unlabelled));
        Assert.StartsWith("The ONNX model has no \"cnngen.class\" metadata: CnnGen did not export it, so nothing says it is a ResNet18.", error.Message);

        using var network = new OnnxNetwork<ResNet18>(unlabelled, requireCnnGenMetadata: false);
        AssertRefused(network, [1, 1, 64, 64], "ResNet18 expects a batch of shape [N, 3, H, W] with H >= 1 and W >= 1, but the input has shape [1, 1, 64, 64]: it has 1 channels, not 3.");
        AssertSameOutput(resNet18.Module, network, [1, 3, 64, 64]);
    }

    /// <summary>The class's InputShape holds its default arguments; the file knows the ones it was exported with.</summary>
    [Fact]
    public void A_file_exported_with_other_arguments_takes_its_own_channels()
    {
        using var module = new ResNet18(numClasses: 10, inChannels: 1);
        module.eval();
        using var network = new OnnxNetwork<ResNet18>(Export(module));
        AssertRefused(network, [1, 3, 64, 64], "ResNet18 expects a batch of shape [N, 1, H, W] with H >= 1 and W >= 1, but the input has shape [1, 3, 64, 64]: it has 3 channels, not 1.");
        AssertSameOutput(module, network, [2, 1, 64, 64]);
    }

    [Fact]
    public void A_disposed_network_throws_ObjectDisposedException()
    {
        var network = new OnnxNetwork<ResNet18>(resNet18.Model);
        network.Dispose();
        network.Dispose();
        Assert.Throws<ObjectDisposedException>(() => network.Run(new float[3 * 64 * 64], [1, 3, 64, 64]));
        using var input = zeros(1, 3, 64, 64);
        Assert.Throws<ObjectDisposedException>(() => network.Run(input));
    }

    /// <summary>
    /// 8 callers on their own threads share one network for 1,000 requests (16 inputs, both Run overloads): no error,
    /// and every result bitwise identical to the serial result for its input.
    /// </summary>
    [Fact]
    public void Eight_concurrent_callers_get_the_serial_results()
    {
        const int callers = 8, requests = 1000;
        using var network = new OnnxNetwork<ResNet18>(resNet18.Model);
        var generator = new TorchSharp.torch.Generator(20261215);
        long[] shape = [1, 3, 64, 64];
        var inputs = Enumerable.Range(0, 16).Select(_ => randn(shape, generator: generator)).ToArray();
        var data = inputs.Select(input => input.data<float>().ToArray()).ToArray();
        var serial = data.Select(values => network.Run(values, shape).Data).ToArray();

        var clock = System.Diagnostics.Stopwatch.StartNew();
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        int mismatches = 0, running = 0, mostRunning = 0;
        using var start = new Barrier(callers);
        var threads = Enumerable.Range(0, callers).Select(caller => new Thread(() =>
        {
            start.SignalAndWait();
            for (var request = caller; request < requests; request += callers)
            {
                var which = request % inputs.Length;
                try
                {
                    InterlockedMax(ref mostRunning, Interlocked.Increment(ref running));
                    float[] result;
                    try
                    {
                        if (request % 2 == 0)
                            result = network.Run(data[which], shape).Data;
                        else
                            using (var output = network.Run(inputs[which]))
                                result = output.data<float>().ToArray();
                    }
                    finally
                    {
                        Interlocked.Decrement(ref running);
                    }
                    if (!MemoryMarshal.AsBytes(result.AsSpan()).SequenceEqual(MemoryMarshal.AsBytes(serial[which].AsSpan())))
                        Interlocked.Increment(ref mismatches);
                }
                catch (Exception e)
                {
                    errors.Add(e);
                }
            }
        })).ToList();
        threads.ForEach(thread => thread.Start());
        threads.ForEach(thread => thread.Join());
        log.WriteLine($"{requests} requests from {callers} callers in {clock.Elapsed.TotalSeconds:F1} s, at most {mostRunning} running at once");

        Assert.Empty(errors);
        Assert.Equal(0, mismatches);
        Assert.True(mostRunning > 1, "the callers never overlapped");
        foreach (var input in inputs) input.Dispose();
    }

    /// <summary>Dispose waits for the running calls: each one finishes with its full result or gets ObjectDisposedException, never anything native.</summary>
    [Fact]
    public void Disposing_under_concurrent_callers_ends_them_cleanly()
    {
        var network = new OnnxNetwork<ResNet18>(resNet18.Model);
        long[] shape = [1, 3, 64, 64];
        var values = new float[3 * 64 * 64];
        var expected = network.Run(values, shape).Data;
        int completed = 0, refused = 0;
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        var threads = Enumerable.Range(0, 8).Select(_ => new Thread(() =>
        {
            while (true)
            {
                try
                {
                    if (!network.Run(values, shape).Data.SequenceEqual(expected)) throw new InvalidOperationException("a result changed");
                    Interlocked.Increment(ref completed);
                }
                catch (ObjectDisposedException)
                {
                    Interlocked.Increment(ref refused);
                    return;
                }
                catch (Exception e)
                {
                    errors.Add(e);
                    return;
                }
            }
        })).ToList();
        threads.ForEach(thread => thread.Start());
        SpinWait.SpinUntil(() => Volatile.Read(ref completed) >= 16 || !errors.IsEmpty, TimeSpan.FromSeconds(30));
        network.Dispose();
        threads.ForEach(thread => thread.Join());
        Assert.Empty(errors);
        Assert.Equal(8, refused);
    }

    private static byte[] Export<TNetwork>(TNetwork network) where TNetwork : nn.Module, IGeneratedNetwork
    {
        using var stream = new MemoryStream();
        OnnxExport.Write(network, stream);
        return stream.ToArray();
    }

    /// <summary>Both Run overloads refuse <paramref name="shape"/> with <paramref name="message"/>, naming their own parameter.</summary>
    private static void AssertRefused<TNetwork>(OnnxNetwork<TNetwork> network, long[] shape, string message) where TNetwork : INetworkFacts
    {
        var values = new float[shape.Aggregate(1L, (product, dim) => product * dim)];
        var error = Assert.Throws<ArgumentException>(() => network.Run(values, shape));
        Assert.Equal(message + " (Parameter 'shape')", error.Message);
        using var input = zeros(shape);
        error = Assert.Throws<ArgumentException>(() => network.Run(input));
        Assert.Equal(message + " (Parameter 'input')", error.Message);
    }

    /// <summary>ONNX Runtime through both Run overloads gives the eval module's output within 1e-4 of the largest output, in the same shape.</summary>
    private static void AssertSameOutput<TNetwork>(nn.Module<Tensor, Tensor> module, OnnxNetwork<TNetwork> network, params long[][] shapes) where TNetwork : INetworkFacts
    {
        foreach (var shape in shapes)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var input = randn(shape);
            var expected = module.forward(input);
            var fromTensor = network.Run(input);
            var fromArray = network.Run(input.data<float>().ToArray(), shape);
            Assert.Equal(expected.shape, fromTensor.shape);
            Assert.Equal(expected.shape, fromArray.Shape);
            Assert.Equal(fromArray.Data, fromTensor.data<float>().ToArray());
            var largest = expected.abs().max().item<float>();
            var worst = (expected - fromTensor).abs().max().item<float>();
            Assert.True(worst <= 1e-4 * largest, $"{typeof(TNetwork).Name}, input {string.Join("x", shape)}: max|difference| {worst:G3} against max|output| {largest:G3}");
        }
    }

    private static void InterlockedMax(ref int target, int value)
    {
        for (var current = Volatile.Read(ref target); value > current; current = Volatile.Read(ref target))
            if (Interlocked.CompareExchange(ref target, value, current) == current) return;
    }
}
