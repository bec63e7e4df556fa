using System.Diagnostics;
using System.Runtime.CompilerServices;
using Xunit.Abstractions;

namespace CnnGen.Package.Tests;

/// <summary>
/// The package works as users will install it: pack, reference it from a local folder in a new project
/// outside the repository, build and run a YAML network, and see a broken YAML fail the build with the
/// located diagnostic. Each run packs a unique version, so the global package cache never serves a stale one.
/// </summary>
public class PackageConsumerTests(ITestOutputHelper output)
{
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
        using static TorchSharp.torch;
        using var model = new Consumer.TinyNet();
        model.eval();
        using var output = model.forward(randn(2, 1, 28, 28));
        System.Console.WriteLine($"params={Consumer.TinyNet.ParameterCount} counted={model.parameters().Sum(p => p.numel())} shape={string.Join("x", output.shape)}");
        """;

    private static string RepoRoot([CallerFilePath] string file = "") => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));

    private (int ExitCode, string Output) Run(string workingDirectory, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = workingDirectory, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        // Not the test host's build settings: a consumer builds as a user's shell would.
        start.Environment.Remove("MSBuildExtensionsPath");
        start.Environment.Remove("MSBUILD_EXE_PATH");
        start.Environment.Remove("MSBuildSDKsPath");
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEnd();
        process.WaitForExit();
        var text = stdout.Result + stderr;
        output.WriteLine($"$ dotnet {string.Join(' ', arguments)} -> {process.ExitCode}");
        return (process.ExitCode, text);
    }

    [Fact]
    public void A_new_project_builds_and_runs_a_network_from_the_package_and_a_broken_one_fails_at_its_line()
    {
        var clock = Stopwatch.StartNew();
        var root = Directory.CreateTempSubdirectory("cnngen-package-");
        try
        {
            var version = $"0.1.0-test{DateTime.UtcNow:yyyyMMddHHmmssfff}";
            var feed = Path.Combine(root.FullName, "feed");
            var pack = Run(RepoRoot(), "pack", "runtime/CnnGen.Runtime.csproj", "-o", feed, $"-p:Version={version}",
                "--artifacts-path", Path.Combine(root.FullName, "artifacts"));
            Assert.True(pack.ExitCode == 0, pack.Output);
            Assert.True(File.Exists(Path.Combine(feed, $"CnnGen.{version}.nupkg")), pack.Output);

            var consumer = Directory.CreateDirectory(Path.Combine(root.FullName, "consumer")).FullName;
            File.WriteAllText(Path.Combine(consumer, "nuget.config"), $"""
                <?xml version="1.0" encoding="utf-8"?>
                <configuration>
                  <packageSources>
                    <add key="cnngen-local" value="{feed}" />
                  </packageSources>
                </configuration>
                """);
            File.WriteAllText(Path.Combine(consumer, "Consumer.csproj"), $"""
                <Project Sdk="Microsoft.NET.Sdk">
                  <PropertyGroup>
                    <OutputType>Exe</OutputType>
                    <TargetFramework>net10.0</TargetFramework>
                    <ImplicitUsings>enable</ImplicitUsings>
                    <RootNamespace>Consumer</RootNamespace>
                    <NoWarn>NU1603</NoWarn>
                  </PropertyGroup>
                  <ItemGroup>
                    <PackageReference Include="CnnGen" Version="{version}" />
                  </ItemGroup>
                </Project>
                """);
            File.WriteAllText(Path.Combine(consumer, "Program.cs"), Program);
            File.WriteAllText(Path.Combine(consumer, "tiny.cnn.yaml"), Network);

            var run = Run(consumer, "run");
            Assert.True(run.ExitCode == 0, run.Output);
            Assert.Contains("params=170 counted=170 shape=2x10", run.Output);

            File.WriteAllText(Path.Combine(consumer, "tiny.cnn.yaml"), Network.Replace("maxpool(k=2)", "maxpol(k=2)"));
            var broken = Run(consumer, "build");
            Assert.NotEqual(0, broken.ExitCode);
            Assert.Contains("tiny.cnn.yaml(8,10): error CNN0004: 'maxpol' is not a layer or a block of this file; did you mean 'maxpool'?", broken.Output);
            output.WriteLine($"pack, build, run and broken build took {clock.Elapsed.TotalSeconds:F0} s");
        }
        finally
        {
            root.Delete(recursive: true);
        }
    }
}
