using Xunit.Abstractions;

namespace CnnGen.Package.Tests;

/// <summary>
/// The package works as users install it: a brand-new console project outside the repository references
/// CnnGen by PackageReference from a local folder, builds and runs a YAML network, and a broken YAML fails
/// its build with the located diagnostic.
/// </summary>
/// <remarks>Where the consumer restores from and to: <see cref="ConsumerProject"/>.</remarks>
[Collection(nameof(PackageCollection))]
public class PackageConsumerTests(PackedCnnGen packed, ITestOutputHelper output)
{
    // 8*(1*3*3) + 8 = 80 in conv1, 8*10 + 10 = 90 in fc.
    private const string Network = """
        name: TinyNet
        input: [1, 28, 28]
        published: { params: 170, source: arithmetic }
        args: { num_classes: 10 }
        layers:
          conv1: conv(8, k=3, p=1)
          relu1: relu
          pool1: maxpool(k=2)
          pool: gap
          fc: linear(num_classes)
        """;

    private const string Program = """
        using Consumer.Networks;
        using static TorchSharp.torch;

        using var model = new TinyNet(numClasses: 10);
        model.eval();
        using var logits = model.forward(randn(2, 1, 28, 28));
        Console.WriteLine($"params={TinyNet.ParameterCount} counted={model.parameters().Sum(p => p.numel())} shape={string.Join("x", logits.shape)}");
        """;

    /// <summary>
    /// The consumer project, written and run once per test run (each step below reads what it left); a step's
    /// failure is reported by that step, not hidden behind an earlier one.
    /// </summary>
    private static readonly object Gate = new();
    private static (ConsumerProject Project, CommandResult Run)? s_consumer;

    private (ConsumerProject Project, CommandResult Run) Built()
    {
        lock (Gate)
        {
            if (s_consumer is not null) return s_consumer.Value;
            var project = ConsumerProject.Write(packed, "consumer", [$"<PackageReference Include=\"CnnGen\" Version=\"{packed.Version}\" />"], Program, Network);
            s_consumer = (project, project.Dotnet(output, "run"));
            return s_consumer.Value;
        }
    }

    [Fact]
    public void A_new_project_builds_and_runs_a_network_from_the_package()
    {
        var run = Built().Run;
        Assert.True(run.ExitCode == 0, $"The consumer did not build or run:\n{run}");
        Assert.True(run.Output.Contains("params=170 counted=170 shape=2x10"),
            $"Expected 'params=170 counted=170 shape=2x10' (compile-time count, TorchSharp's count, output shape):\n{run}");
        output.WriteLine($"pack {packed.Pack.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(run.Output);
    }

    [Fact]
    public void The_package_comes_from_the_test_feed_and_TorchSharp_from_the_machine()
    {
        var (consumer, run) = Built();
        Assert.True(run.ExitCode == 0, $"The consumer did not restore:\n{run}");
        foreach (var id in new[] { "cnngen", "cnngen.core" })
        {
            Assert.True(Directory.Exists(Path.Combine(consumer.Packages, id, packed.Version)), $"{id} {packed.Version} was not restored into {consumer.Packages}:\n{run}");
            Assert.False(Directory.Exists(Path.Combine(packed.MachinePackages, id, packed.Version)), $"the test version of {id} reached {packed.MachinePackages}");
        }
        Assert.False(Directory.Exists(Path.Combine(consumer.Packages, "torchsharp")), $"TorchSharp was restored into {consumer.Packages} instead of read from {packed.MachinePackages}");
    }

    [Fact]
    public void The_default_package_brings_the_CPU_bundle_for_every_platform()
    {
        // What the CnnGen package chooses for a project that names no bundle: TorchSharp-cpu, that is libtorch-cpu
        // for linux-x64, win-x64 and osx-arm64, all three in the output (NativeBundleTests has the swapped one).
        var (consumer, run) = Built();
        Assert.True(run.ExitCode == 0, $"The consumer did not build or run:\n{run}");
        var restored = consumer.RestoredPackages();
        string[] bundle = ["TorchSharp-cpu/0.107.0", "libtorch-cpu/2.10.0", "libtorch-cpu-linux-x64/2.10.0", "libtorch-cpu-osx-arm64/2.10.0", "libtorch-cpu-win-x64/2.10.0"];
        var missing = bundle.Except(restored).ToList();
        Assert.True(missing.Count == 0, $"not restored: {string.Join(", ", missing)}\nrestored: {string.Join(", ", restored)}");

        var natives = consumer.LibTorchNatives();
        output.WriteLine(string.Join("\n", natives.Select(p => $"{p.Key}: {string.Join(", ", p.Value.Select(Path.GetFileName))}")));
        Assert.Equal(["linux-x64", "osx-arm64", "win-x64"], natives.Keys.ToList());
        Assert.Equal(3, natives.Values.SelectMany(files => files).Count(ConsumerProject.IsTorchCpu));
    }

    [Fact]
    public void Networks_are_additional_files_unless_the_project_opts_out()
    {
        // An evaluation, no build.
        var consumer = Built().Project;
        Assert.Equal(["tiny.cnn.yaml"], ConsumerProject.AdditionalFiles(consumer.Dotnet(output, "msbuild", "-getItem:AdditionalFiles")));
        Assert.Empty(ConsumerProject.AdditionalFiles(consumer.Dotnet(output, "msbuild", "-getItem:AdditionalFiles", "-p:CnnGenIncludeNetworks=false")));
    }

    [Fact]
    public void A_broken_network_fails_the_build_at_its_line()
    {
        // A copy of the restored consumer, so the steps above keep the working one.
        var working = Built().Project;
        var broken = working.CopyTo(packed, "consumer-broken", Network.Replace("maxpool(k=2)", "maxpol(k=2)")).Dotnet(output, "build");
        Assert.True(broken.ExitCode != 0, $"A misspelt layer built:\n{broken}");
        const string located = "tiny.cnn.yaml(8,10): error CNN0004: 'maxpol' is not a layer or a block of this file; did you mean 'maxpool'?";
        Assert.True(broken.Output.Contains(located), $"Expected '{located}' in the build output:\n{broken}");
    }
}
