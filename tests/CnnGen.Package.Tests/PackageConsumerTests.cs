using System.Text.Json;
using Xunit.Abstractions;

namespace CnnGen.Package.Tests;

/// <summary>
/// The package works as users install it: a brand-new console project outside the repository references
/// CnnGen by PackageReference from a local folder, builds and runs a YAML network, and a broken YAML fails
/// its build with the located diagnostic.
/// </summary>
/// <remarks>
/// The consumer restores into its own packages folder, so no test version ever lands in the machine's
/// global packages folder, and reads that folder as a fallback, so TorchSharp (1.2 GB) is neither
/// downloaded nor copied. A fallback folder is consulted before the feed, so the version is also unique
/// per run: a CnnGen of the same version cached earlier could otherwise stand in for the one just packed.
/// </remarks>
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
    private static Consumer? s_consumer;

    private sealed record Consumer(string Folder, string Packages, CommandResult Run);

    private static readonly Dictionary<string, string?> Environment = new() { ["NUGET_PACKAGES"] = null }; // it would beat nuget.config's globalPackagesFolder

    private CommandResult Dotnet(string folder, params string[] arguments)
    {
        var result = DotNet.Run(folder, Environment, arguments);
        output.WriteLine($"$ {result.Command} -> exit code {result.ExitCode}, {result.Elapsed.TotalSeconds:F1} s");
        return result;
    }

    private Consumer Built()
    {
        lock (Gate)
        {
            if (s_consumer is not null) return s_consumer;
            var folder = Directory.CreateDirectory(Path.Combine(packed.Root, "consumer")).FullName;
            var packages = Path.Combine(packed.Root, "packages");
            // The machine's sources stay (nuget.org here: TorchSharp-cpu's dependencies); the folder is added.
            File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <config>
                    <add key="globalPackagesFolder" value="{packages}" />
                  </config>
                  <packageSources>
                    <add key="cnngen-local" value="{packed.Feed}" />
                  </packageSources>
                  <fallbackPackageFolders>
                    <add key="machine-packages" value="{packed.MachinePackages}" />
                  </fallbackPackageFolders>
                </configuration>
                """);
            // What a user writes: a console project, the package, and (optionally) the namespace to generate into.
            File.WriteAllText(Path.Combine(folder, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <Nullable>enable</Nullable>
                    <CnnGenNamespace>Consumer.Networks</CnnGenNamespace>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="CnnGen" Version="{packed.Version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(folder, "Program.cs"), Program);
            File.WriteAllText(Path.Combine(folder, "tiny.cnn.yaml"), Network);
            return s_consumer = new Consumer(folder, packages, Dotnet(folder, "run"));
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
        var consumer = Built();
        Assert.True(consumer.Run.ExitCode == 0, $"The consumer did not restore:\n{consumer.Run}");
        Assert.True(Directory.Exists(Path.Combine(consumer.Packages, "cnngen", packed.Version)), $"CnnGen {packed.Version} was not restored into {consumer.Packages}:\n{consumer.Run}");
        Assert.False(Directory.Exists(Path.Combine(consumer.Packages, "torchsharp")), $"TorchSharp was restored into {consumer.Packages} instead of read from {packed.MachinePackages}");
        Assert.False(Directory.Exists(Path.Combine(packed.MachinePackages, "cnngen", packed.Version)), $"the test version reached {packed.MachinePackages}");
    }

    [Fact]
    public void Networks_are_additional_files_unless_the_project_opts_out()
    {
        // An evaluation, no build.
        var folder = Built().Folder;
        Assert.Equal(["tiny.cnn.yaml"], AdditionalFiles(Dotnet(folder, "msbuild", "-getItem:AdditionalFiles")));
        Assert.Empty(AdditionalFiles(Dotnet(folder, "msbuild", "-getItem:AdditionalFiles", "-p:CnnGenIncludeNetworks=false")));
    }

    [Fact]
    public void A_broken_network_fails_the_build_at_its_line()
    {
        // A copy of the restored consumer, so the steps above keep the working one.
        var working = Built();
        var folder = Path.Combine(packed.Root, "consumer-broken");
        Directory.CreateDirectory(folder);
        foreach (var file in new[] { "nuget.config", "Consumer.csproj", "Program.cs" })
            File.Copy(Path.Combine(working.Folder, file), Path.Combine(folder, file), overwrite: true);
        File.WriteAllText(Path.Combine(folder, "tiny.cnn.yaml"), Network.Replace("maxpool(k=2)", "maxpol(k=2)"));
        var broken = Dotnet(folder, "build");
        Assert.True(broken.ExitCode != 0, $"A misspelt layer built:\n{broken}");
        const string located = "tiny.cnn.yaml(8,10): error CNN0004: 'maxpol' is not a layer or a block of this file; did you mean 'maxpool'?";
        Assert.True(broken.Output.Contains(located), $"Expected '{located}' in the build output:\n{broken}");
    }

    private static List<string> AdditionalFiles(CommandResult evaluation)
    {
        Assert.True(evaluation.ExitCode == 0, $"The evaluation failed:\n{evaluation}");
        var json = evaluation.Output[evaluation.Output.IndexOf('{')..];
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("Items").GetProperty("AdditionalFiles").EnumerateArray()
            .Select(item => item.GetProperty("Identity").GetString()!.Replace('\\', '/'))
            .ToList();
    }
}
