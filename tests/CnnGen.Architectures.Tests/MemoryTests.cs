using CnnGen.Testing;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// Tests that count live tensors and read process-wide memory, which parallel tests would disturb: they run
/// alone, after the parallel collections. The one that makes glibc keep freed memory (process-wide) runs last.
/// </summary>
[CollectionDefinition(nameof(SerialCollection), DisableParallelization = true)]
public sealed class SerialCollection
{
}

[Collection(nameof(SerialCollection))]
[TestCaseOrderer(ProcessStateLast.Name, ProcessStateLast.Assembly)]
public class MemoryTests
{
    [Fact]
    public void The_forward_pass_disposes_its_intermediates()
    {
        // Only the output may survive a forward pass outside any dispose scope.
        using var model = new ResNet18();
        model.eval();
        using var _ = no_grad();
        using var input = randn(1, 3, 64, 64);
        Settle();
        var before = Tensor.TotalCount;
        using (var output = model.forward(input))
        {
            Assert.Equal(before + 1, Tensor.TotalCount);
        }
        Assert.Equal(before, Tensor.TotalCount);
    }

    /// <summary>Tensors leaked by earlier tests are freed by finalizers at any time; let that happen first.</summary>
    private static void Settle()
    {
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
    }

    [Fact]
    public void Repeated_inference_keeps_live_tensors_and_resident_memory_flat()
    {
        // The benchmark sample runs 1,000 ResNet-50 calls; here 200 ResNet-18 calls after a warm-up.
        using var model = new ResNet18();
        model.eval();
        using var _ = no_grad();
        using var input = randn(1, 3, 112, 112);
        for (var i = 0; i < 20; i++) model.forward(input).Dispose();
        Settle();
        var tensors = Tensor.TotalCount;
        var resident = ProcessMemory.Resident();
        for (var i = 0; i < 200; i++) model.forward(input).Dispose();
        Settle();
        Assert.Equal(tensors, Tensor.TotalCount);
        var growth = (double)(ProcessMemory.Resident() - resident) / resident;
        Assert.True(growth < 0.05, $"resident memory grew {growth:P1} over 200 calls");
    }

    [Fact]
    [ChangesProcessState]
    public void Repeated_inference_faults_in_almost_no_new_pages_once_glibc_keeps_freed_memory()
    {
        // Every call frees what it allocated, so a call after the warm-up reuses the pages of the one before
        // (0.8 faults per call measured here); a forward that leaks its activations faults in fresh ones each
        // time (the hand-written ResNet-50 outside a dispose scope, same input: 6,800 per call). glibc's defaults hand part of the freed heap
        // back to the system and fault it in again, a varying amount (docs/performance.md, Memory); the
        // application's NativeAllocator.KeepFreedMemory() stops that. It is process-wide, so this test runs after
        // the others of this process (ProcessStateLast): they measure glibc's defaults.
        Assert.True(CnnGen.Runtime.NativeAllocator.KeepFreedMemory());
        using var model = new ResNet18();
        model.eval();
        using var _ = no_grad();
        using var input = randn(1, 3, 112, 112);
        for (var i = 0; i < 20; i++) model.forward(input).Dispose();
        const int Calls = 50;
        var faults = ProcessMemory.MinorFaults();
        for (var i = 0; i < Calls; i++) model.forward(input).Dispose();
        var perCall = (double)(ProcessMemory.MinorFaults() - faults) / Calls;
        Assert.True(perCall < 16, $"{perCall:F1} minor page faults per call after the warm-up");
    }

    /// <summary>
    /// Networks that between them run every kind of forward step the generator emits: convolution, batch
    /// norm, ReLU, residual add, max pool, global pool, linear (ResNet18); depthwise convolution, ReLU6
    /// (MobileNetV2); concatenation, scaled residual add (InceptionResNetV1); the dense-block buffer, average
    /// pool (DenseNet121); the connection-table convolution, trainable subsampling, tanh (LeNet5Paper); local
    /// response norm, dropout, adaptive pooling (AlexNetCaffe); upsampling (FcnResNet18); and in the
    /// inference form folded batch norms, channels-last input and folded pre-activations (ResNet18, DenseNet121).
    /// </summary>
    public static TheoryData<string, bool> EveryForwardStep() => new()
    {
        { "ResNet18", false }, { "MobileNetV2", false }, { "InceptionResNetV1", false }, { "DenseNet121", false },
        { "LeNet5Paper", false }, { "AlexNetCaffe", false }, { "FcnResNet18", false }, { "ResNet18", true }, { "DenseNet121", true },
    };

    [Theory]
    [MemberData(nameof(EveryForwardStep))]
    public void A_forward_leaves_no_native_memory_for_the_finalizer(string name, bool inferenceForm)
    {
        // TorchSharp frees a few small native objects (implicit Scalars, shape reads) only when the garbage
        // collector finalizes their wrappers; between collections they split glibc's heap and resident
        // memory grew 88 MB over 1,000 ResNet-50 calls. Measured as the native heap a collection gives back
        // after a few forwards. Something else (libtorch's worker threads) sometimes frees megabytes in the same
        // window, never less, so the smallest of a few trials is the measure; a trial in which a collection
        // ran by itself measured nothing and does not count.
        var info = Zoo.Get(name);
        using var model = info.Create();
        model.eval();
        if (inferenceForm) ((CnnGen.Runtime.IGeneratedNetwork)model).ConvertToInference();
        using var _ = no_grad();
        using var input = randn(new[] { 1L }.Concat(info.InputShape).ToArray());
        for (var i = 0; i < 2; i++) model.forward(input).Dispose();
        const int Forwards = 5, Allowed = Forwards * 32;
        var smallest = long.MaxValue;
        for (var trial = 0; trial < 4 && smallest >= Allowed; trial++)
        {
            Settle();
            var collections = GC.CollectionCount(0);
            for (var i = 0; i < Forwards; i++) model.forward(input).Dispose();
            var held = ProcessMemory.NativeHeapInUse();
            if (GC.CollectionCount(0) != collections) continue;
            Settle();
            smallest = Math.Min(smallest, held - ProcessMemory.NativeHeapInUse());
        }
        Assert.True(smallest != long.MaxValue, "a garbage collection ran during every trial");
        // Before the fix ResNet18 left about 1.7 KB per forward, LeNet5Paper about 160 bytes.
        Assert.True(smallest < Allowed, $"{Forwards} forwards of {name} left {smallest} bytes of native memory that only the finalizer freed");
    }
}
