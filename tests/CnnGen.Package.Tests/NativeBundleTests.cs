using System.Runtime.InteropServices;
using Xunit.Abstractions;

namespace CnnGen.Package.Tests;

/// <summary>
/// A project chooses its libtorch: CnnGen.Core with a native bundle of its own instead of CnnGen's CPU default
/// builds, runs a network, and holds that one bundle and no other (README, "GPU").
/// </summary>
/// <remarks>
/// A GPU project would name TorchSharp-cuda-linux or TorchSharp-cuda-windows; neither is served to this
/// machine, so the swapped-in bundle here is this platform's CPU package alone (libtorch-cpu-linux-x64 on
/// Linux), a bundle the CnnGen package would never choose: what matters is that the project's choice is
/// the only libtorch it gets. The CUDA packages' build check is simulated by the property they set.
/// </remarks>
[Collection(nameof(PackageCollection))]
public class NativeBundleTests(PackedCnnGen packed, ITestOutputHelper output)
{
    // A batch norm for the inference form to fold. 8*(1*3*3) + 8 = 80 in conv1, 2*8 = 16 in bn1, 8*10 + 10 = 90 in fc.
    private const string Network = """
        name: TinyBnNet
        input: [1, 28, 28]
        published: { params: 186, source: arithmetic }
        args: { num_classes: 10 }
        layers:
          conv1: conv(8, k=3, p=1)
          bn1: bn
          relu1: relu
          pool1: maxpool(k=2)
          pool: gap
          fc: linear(num_classes)
        """;

    // README's "GPU" section as a program: the device is CUDA where a CUDA bundle finds a GPU (the CPU here),
    // the model and the input go there, and the inference form's output equals the eval network's.
    private const string Program = """
        using Consumer.Networks;
        using TorchSharp;                    // Module.to(device), an extension method
        using static TorchSharp.torch;

        var device = cuda.is_available() ? CUDA : CPU;
        using var model = new TinyBnNet(numClasses: 10);
        model.to(device);
        model.eval();
        var counted = model.parameters().Sum(p => p.numel());
        using var input = randn(new long[] { 2, 1, 28, 28 }, device: device);
        using var eval = model.forward(input);
        model.ToInference();
        using var folded = model.forward(input);
        Console.WriteLine($"device={folded.device_type} params={TinyBnNet.ParameterCount} counted={counted} shape={string.Join("x", folded.shape)} inference-equal={eval.allclose(folded, rtol: 1e-4, atol: 1e-5)}");
        """;

    /// <summary>This platform as libtorch's packages name it (linux-x64, win-x64, osx-arm64).</summary>
    private static readonly string Platform =
        (OperatingSystem.IsWindows() ? "win" : OperatingSystem.IsMacOS() ? "osx" : "linux") + "-" + RuntimeInformation.ProcessArchitecture.ToString().ToLowerInvariant();

    /// <summary>This platform's libtorch CPU package: the stand-in for a CUDA bundle.</summary>
    private static string NativePackage => $"libtorch-cpu-{Platform}";

    private static readonly object Gate = new();
    private static (ConsumerProject Project, CommandResult Run)? s_swapped;

    /// <summary>The project with the swapped bundle, written and run once per test run.</summary>
    private (ConsumerProject Project, CommandResult Run) Swapped()
    {
        lock (Gate)
        {
            if (s_swapped is not null) return s_swapped.Value;
            var project = ConsumerProject.Write(packed, "consumer-swapped",
                [
                    $"<PackageReference Include=\"CnnGen.Core\" Version=\"{packed.Version}\" />",
                    $"<PackageReference Include=\"{NativePackage}\" Version=\"2.10.0\" />",
                ],
                Program, Network);
            s_swapped = (project, project.Dotnet(output, "run"));
            return s_swapped.Value;
        }
    }

    [Fact]
    public void A_project_with_the_core_package_and_its_own_bundle_builds_and_runs_a_network()
    {
        var run = Swapped().Run;
        Assert.True(run.ExitCode == 0, $"The consumer did not build or run:\n{run}");
        const string expected = "device=CPU params=186 counted=186 shape=2x10 inference-equal=True";
        Assert.True(run.Output.Contains(expected), $"Expected '{expected}' (device, compile-time count, TorchSharp's count, output shape, inference form equal):\n{run}");
        output.WriteLine(run.Output);
    }

    [Fact]
    public void The_swapped_project_restores_its_bundle_and_not_the_CPU_default()
    {
        var (consumer, run) = Swapped();
        Assert.True(run.ExitCode == 0, $"The consumer did not restore:\n{run}");
        var restored = consumer.RestoredPackages();
        output.WriteLine(string.Join("\n", restored));
        Assert.Contains($"CnnGen.Core/{packed.Version}", restored);
        Assert.Contains("TorchSharp/0.107.0", restored);
        Assert.DoesNotContain(restored, p => p.StartsWith("CnnGen/", StringComparison.Ordinal));
        // The one libtorch package is the project's; TorchSharp-cpu and libtorch-cpu (the default) are absent.
        Assert.Equal([$"{NativePackage}/2.10.0"], restored.Where(p => p.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase)).ToList());
        Assert.DoesNotContain(restored, p => p.StartsWith("TorchSharp-", StringComparison.OrdinalIgnoreCase));
    }

    [Fact]
    public void The_swapped_output_holds_one_set_of_libtorch_natives()
    {
        var (consumer, run) = Swapped();
        Assert.True(run.ExitCode == 0, $"The consumer did not build:\n{run}");
        var natives = consumer.LibTorchNatives();
        output.WriteLine(string.Join("\n", natives.Select(p => $"{p.Key}: {string.Join(", ", p.Value.Select(Path.GetFileName))}")));
        // This platform's libtorch, none of the other platforms' (the default bundle puts three in the output).
        Assert.Equal([Platform], natives.Keys.ToList());
        var torchCpu = natives.Values.SelectMany(files => files).Where(ConsumerProject.IsTorchCpu).ToList();
        Assert.True(torchCpu.Count == 1, $"expected one libtorch_cpu, found: {string.Join(", ", torchCpu)}");
    }

    [Fact]
    public void Only_the_core_package_leaves_room_for_a_CUDA_bundle()
    {
        // TorchSharp's CUDA bundles set TorchSharpCudaPackage=true in their build files, its CPU packages set
        // TorchSharpCpuPackage=true, and each package's CheckOneTorchSharpRuntime target (after ResolveReferences)
        // fails a build that has both. Setting the CUDA side's property stands in for the unserved CUDA bundle.
        string[] resolveAsWithCuda = ["msbuild", "-restore", "-t:ResolveReferences", "-p:TorchSharpCudaPackage=true", "-nologo"];
        const string twoRuntimes = "Two TorchSharp runtime packages have been referenced";

        // CnnGen.Core alone (a project that is about to add a CUDA bundle): no CPU runtime, no conflict.
        var core = ConsumerProject.Write(packed, "consumer-core", [$"<PackageReference Include=\"CnnGen.Core\" Version=\"{packed.Version}\" />"], Program, Network);
        var withCore = core.Dotnet(output, resolveAsWithCuda);
        Assert.True(withCore.ExitCode == 0 && !withCore.Output.Contains(twoRuntimes), $"CnnGen.Core alone conflicts with a CUDA bundle:\n{withCore}");
        Assert.DoesNotContain(core.RestoredPackages(), p => p.StartsWith("libtorch", StringComparison.OrdinalIgnoreCase));

        // CnnGen (the CPU default) with a CUDA bundle: TorchSharp's own check stops the build, so a GPU project
        // must reference CnnGen.Core instead (README, "GPU").
        var cpu = ConsumerProject.Write(packed, "consumer-default-cuda", [$"<PackageReference Include=\"CnnGen\" Version=\"{packed.Version}\" />"], Program, Network);
        var withCpu = cpu.Dotnet(output, resolveAsWithCuda);
        Assert.True(withCpu.ExitCode != 0 && withCpu.Output.Contains(twoRuntimes), $"Expected TorchSharp's '{twoRuntimes}' for CnnGen with a CUDA bundle:\n{withCpu}");
    }
}
