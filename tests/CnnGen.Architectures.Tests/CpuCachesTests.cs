using System.Runtime.InteropServices;
using CnnGen.Runtime;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// On a virtual machine whose CPU describes no cache, oneDNN planned its convolutions for 1-byte caches: some
/// outputs were wrong (EfficientNet-V2-S, GoogLeNet, and the inference forms of Inception-v3 and MobileNet v2
/// differed from torchvision and from the eval network) and ResNet-50's channels-last 1x1 convolutions divided by
/// zero (the test host died). CnnGen caps oneDNN at AVX2 there and keeps the inference form NCHW
/// (<see cref="CpuCaches"/>, <see cref="Inference.ChannelsLastConvolutions"/>).
/// </summary>
public class CpuCachesTests(ITestOutputHelper output)
{
    /// <summary>
    /// Convolutions of the shapes that went wrong, in the eval layout and as the inference form runs them, against
    /// a float64 reference. The wrong-valued shapes come first, so that undoing the workaround here
    /// (ONEDNN_MAX_CPU_ISA=ALL, CNNGEN_CHANNELS_LAST=1) fails on an assertion before the shapes that crash.
    /// </summary>
    [Fact]
    public void Convolutions_that_oneDNN_got_wrong_on_a_CPU_without_cache_description_equal_a_float64_reference()
    {
        output.WriteLine($"caches described: {CpuCaches.Described} (leaf {CpuCaches.Leaf}); oneDNN capped at: {CpuCaches.OneDnnIsaCap ?? "-"}; "
            + $"channels-last: {Inference.ChannelsLastConvolutions}. {Inference.ChannelsLastReason}");
        (int In, int Out, int Kernel, int Size)[] shapes =
        [
            (24, 24, 3, 112), (24, 96, 3, 112),                                         // EfficientNet-V2-S: wrong in NCHW at AVX-512
            (960, 320, 1, 7), (320, 1280, 1, 7),                                        // MobileNet v2: wrong channels-last at AVX-512
            (256, 1024, 1, 56), (1024, 512, 1, 14), (512, 2048, 1, 7), (2048, 512, 1, 7), // ResNet-50: channels-last divided by zero
        ];
        foreach (var (inChannels, outChannels, kernel, size) in shapes)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var conv = nn.Conv2d(inChannels, outChannels, kernel, padding: kernel / 2);
            conv.eval();
            var input = randn(2, inChannels, size, size);
            var reference = nn.functional.conv2d(input.to(ScalarType.Float64), conv.weight!.to(ScalarType.Float64), conv.bias!.to(ScalarType.Float64), padding: [kernel / 2, kernel / 2]);
            Check("eval", Forward.Conv2d(conv, input));
            // What ToInference and the generated forward do.
            if (Inference.ChannelsLastConvolutions)
            {
                Inference.ToChannelsLast(conv);
                input = Inference.ChannelsLast(input);
            }
            Check("inference", Forward.Conv2d(conv, input));

            void Check(string form, Tensor actual)
            {
                var largest = reference.abs().max().item<double>();
                var error = (actual.to(ScalarType.Float64) - reference).abs().max().item<double>();
                output.WriteLine($"{inChannels} -> {outChannels}, {kernel}x{kernel} at {size}x{size}, {form}: largest {largest:G4}, error {error:G3}");
                Assert.True(error <= 1e-5 * largest, $"{inChannels} -> {outChannels}, {kernel}x{kernel} at {size}x{size}, {form} form: error {error} on outputs up to {largest}");
            }
        }
    }

    /// <summary>
    /// Where the CPU describes no cache the cap must be in the C environment, where libtorch reads it, unless the
    /// user set one; elsewhere CnnGen leaves oneDNN alone.
    /// </summary>
    [Fact]
    public void oneDNN_is_capped_at_AVX2_exactly_where_the_CPU_describes_no_cache()
    {
        var userSet = CpuCaches.OneDnnIsaCap is null && (Environment.GetEnvironmentVariable("ONEDNN_MAX_CPU_ISA") ?? Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA")) is not null;
        var native = OperatingSystem.IsLinux() ? Marshal.PtrToStringAnsi(getenv("ONEDNN_MAX_CPU_ISA")) : null;
        output.WriteLine($"caches described: {CpuCaches.Described}; cap: {CpuCaches.OneDnnIsaCap ?? "-"}; C environment: {native ?? "-"}; set by the user: {userSet}");
        if (userSet) return;
        if (CpuCaches.Described || !OperatingSystem.IsLinux())
        {
            Assert.Null(CpuCaches.OneDnnIsaCap);
            return;
        }
        Assert.Equal("AVX2", CpuCaches.OneDnnIsaCap);
        Assert.Equal("AVX2", native);
    }

    /// <summary>
    /// The check reads CPUID itself; Linux builds /sys/devices/system/cpu/cpu0/cache from the same leaves, so the
    /// two must agree (on the machine that crashed, both said "no cache").
    /// </summary>
    [Fact]
    public void The_cache_check_agrees_with_the_kernels_cache_description()
    {
        if (!OperatingSystem.IsLinux() || !System.Runtime.Intrinsics.X86.X86Base.IsSupported) return;
        var kernelSeesCaches = Directory.Exists("/sys/devices/system/cpu/cpu0/cache");
        output.WriteLine($"kernel sees caches: {kernelSeesCaches}; CPUID leaf {CpuCaches.Leaf} describes caches: {CpuCaches.Described}");
        Assert.Equal(kernelSeesCaches, CpuCaches.Described);
        if (Environment.GetEnvironmentVariable("CNNGEN_CHANNELS_LAST") is null) Assert.Equal(CpuCaches.Described, Inference.ChannelsLastConvolutions);
    }

    [DllImport("libc")]
    private static extern IntPtr getenv(string name);
}
