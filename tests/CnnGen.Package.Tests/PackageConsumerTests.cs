using System.Diagnostics;
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

    [Fact]
    public void A_new_project_builds_and_runs_a_network_from_the_package_and_a_broken_one_fails_at_its_line()
    {
        var clock = Stopwatch.StartNew();
        var consumer = Directory.CreateDirectory(Path.Combine(packed.Root, "consumer")).FullName;
        var packages = Path.Combine(packed.Root, "packages");

        // The machine's sources stay (nuget.org here: TorchSharp-cpu's dependencies); the folder is added.
        File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
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
        File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
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
        File.WriteAllText(Path.Combine(consumer, "Program.cs"), Program);
        File.WriteAllText(Path.Combine(consumer, "tiny.cnn.yaml"), Network);

        // NUGET_PACKAGES would take precedence over the nuget.config's globalPackagesFolder.
        var environment = new Dictionary<string, string?> { ["NUGET_PACKAGES"] = null };
        CommandResult Dotnet(params string[] arguments)
        {
            var result = DotNet.Run(consumer, environment, arguments);
            output.WriteLine($"$ {result.Command} -> exit code {result.ExitCode}, {result.Elapsed.TotalSeconds:F1} s");
            return result;
        }

        var run = Dotnet("run");
        Assert.True(run.ExitCode == 0, $"The consumer did not build or run:\n{run}");
        Assert.True(run.Output.Contains("params=170 counted=170 shape=2x10"),
            $"Expected 'params=170 counted=170 shape=2x10' (compile-time count, TorchSharp's count, output shape):\n{run}");

        // CnnGen came from the test feed into the private folder; TorchSharp from the machine's folder.
        Assert.True(Directory.Exists(Path.Combine(packages, "cnngen", packed.Version)), $"CnnGen {packed.Version} was not restored into {packages}:\n{run}");
        Assert.False(Directory.Exists(Path.Combine(packages, "torchsharp")), $"TorchSharp was restored into {packages} instead of read from {packed.MachinePackages}");
        Assert.False(Directory.Exists(Path.Combine(packed.MachinePackages, "cnngen", packed.Version)), $"the test version reached {packed.MachinePackages}");

        // The opt-out: no *.cnn.yaml becomes an AdditionalFile (an evaluation, no build).
        Assert.Equal(["tiny.cnn.yaml"], AdditionalFiles(Dotnet("msbuild", "-getItem:AdditionalFiles")));
        Assert.Empty(AdditionalFiles(Dotnet("msbuild", "-getItem:AdditionalFiles", "-p:CnnGenIncludeNetworks=false")));

        File.WriteAllText(Path.Combine(consumer, "tiny.cnn.yaml"), Network.Replace("maxpool(k=2)", "maxpol(k=2)"));
        var broken = Dotnet("build");
        Assert.True(broken.ExitCode != 0, $"A misspelt layer built:\n{broken}");
        const string located = "tiny.cnn.yaml(8,10): error CNN0004: 'maxpol' is not a layer or a block of this file; did you mean 'maxpool'?";
        Assert.True(broken.Output.Contains(located), $"Expected '{located}' in the build output:\n{broken}");

        output.WriteLine($"pack {packed.Pack.Elapsed.TotalSeconds:F1} s; consumer run, evaluations and broken build {clock.Elapsed.TotalSeconds:F1} s");
        output.WriteLine(run.Output);
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
