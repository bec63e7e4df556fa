using CnnGen.Runtime;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// The inference form convolves channels-last only where oneDNN's channels-last convolutions are right
/// (<see cref="Inference.ChannelsLastConvolutions"/>). On a virtual machine whose CPU describes no cache they
/// were not: wrong outputs for the first two shapes below, SIGFPE (the test host died) for the others.
/// </summary>
public class ChannelsLastTests(ITestOutputHelper output)
{
    /// <summary>
    /// 1x1 convolutions as the inference form runs them, against a float64 reference. The shapes that gave wrong
    /// values come first, so that forcing channels-last there (CNNGEN_CHANNELS_LAST=1) fails on an assertion
    /// before the shapes that crash.
    /// </summary>
    [Fact]
    public void One_by_one_convolutions_in_the_inference_layout_equal_a_float64_reference()
    {
        output.WriteLine($"channels-last: {Inference.ChannelsLastConvolutions}. {Inference.ChannelsLastReason}");
        (int In, int Out, int Size)[] shapes =
        [
            (960, 320, 7), (320, 1280, 7),                                     // MobileNetV2's last block and head: wrong values
            (256, 1024, 56), (1024, 512, 14), (512, 2048, 7), (2048, 512, 7),  // ResNet-50's: integer division by zero
        ];
        foreach (var (inChannels, outChannels, size) in shapes)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            using var conv = nn.Conv2d(inChannels, outChannels, 1);
            conv.eval();
            var input = randn(2, inChannels, size, size);
            var reference = nn.functional.conv2d(input.to(ScalarType.Float64), conv.weight!.to(ScalarType.Float64), conv.bias!.to(ScalarType.Float64));
            // What ToInference and the generated forward do.
            if (Inference.ChannelsLastConvolutions)
            {
                Inference.ToChannelsLast(conv);
                input = Inference.ChannelsLast(input);
            }
            var actual = Forward.Conv2d(conv, input).to(ScalarType.Float64);
            var largest = reference.abs().max().item<double>();
            var error = (actual - reference).abs().max().item<double>();
            output.WriteLine($"{inChannels} -> {outChannels} at {size}x{size}: largest {largest:G4}, error {error:G3}");
            Assert.True(error <= 1e-5 * largest, $"{inChannels} -> {outChannels} at {size}x{size}: error {error} on outputs up to {largest}");
        }
    }

    /// <summary>
    /// The check reads CPUID itself; Linux builds /sys/devices/system/cpu/cpu0/cache from the same leaves, so the
    /// two must agree (on the machine that crashed, both say "no cache").
    /// </summary>
    [Fact]
    public void The_cache_check_agrees_with_the_kernels_cache_description()
    {
        if (!OperatingSystem.IsLinux() || !System.Runtime.Intrinsics.X86.X86Base.IsSupported
            || Environment.GetEnvironmentVariable("CNNGEN_CHANNELS_LAST") is not null) return;
        var kernelSeesCaches = Directory.Exists("/sys/devices/system/cpu/cpu0/cache");
        output.WriteLine($"kernel sees caches: {kernelSeesCaches}; {Inference.ChannelsLastReason}");
        Assert.Equal(kernelSeesCaches, Inference.ChannelsLastConvolutions);
    }
}
