using System.Text.Json;
using System.Text.RegularExpressions;
using Xunit.Abstractions;

namespace CnnGen.Package.Tests;

/// <summary>
/// A brand-new console project outside the repository that references packages from the test feed: what a
/// user writes (nuget.config, a project with its package references, Program.cs, a network), and what its
/// restore and build leave behind.
/// </summary>
/// <remarks>
/// A consumer restores into its own packages folder (<see cref="Packages"/>, shared by the consumers of one
/// run), so no test version ever lands in the machine's global packages folder, and reads that folder as a
/// fallback, so TorchSharp and libtorch (1.2 GB) are neither downloaded nor copied into it. A fallback folder
/// is consulted before the feed, so the version is also unique per run: a CnnGen of the same version cached
/// earlier could otherwise stand in for the one just packed.
/// </remarks>
public sealed partial class ConsumerProject
{
    public string Folder { get; }
    public string Packages { get; }

    /// <summary>Where <c>dotnet build</c> and <c>dotnet run</c> put the program (Debug, no runtime identifier).</summary>
    public string Output => Path.Combine(Folder, "bin", "Debug", "net10.0");

    private ConsumerProject(string folder, string packages) => (Folder, Packages) = (folder, packages);

    /// <summary>
    /// The environment of every command: NUGET_PACKAGES would beat nuget.config's globalPackagesFolder, and
    /// the build hard-links copy-local files (MSBuild reads the variable as a property) so that each consumer
    /// output does not hold its own copy of libtorch (as the repository's own outputs, Directory.Build.props).
    /// </summary>
    private static readonly Dictionary<string, string?> Environment = new()
    {
        ["NUGET_PACKAGES"] = null,
        ["CreateHardLinksForCopyLocalIfPossible"] = "true",
    };

    /// <summary>Writes the consumer <paramref name="name"/> below the test folder.</summary>
    /// <param name="packageReferences">The project's PackageReference elements, one a line.</param>
    public static ConsumerProject Write(PackedCnnGen packed, string name, IEnumerable<string> packageReferences, string program, string network)
    {
        var folder = Directory.CreateDirectory(Path.Combine(packed.Root, name)).FullName;
        var packages = Path.Combine(packed.Root, "packages");
        // The machine's sources stay (nuget.org here: TorchSharp's dependencies); the folder is added.
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
        // What a user writes: a console project, the packages, and (optionally) the namespace to generate into.
        var references = string.Join("\n", packageReferences.Select(r => "      " + r));
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
            {references}
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(folder, "Program.cs"), program);
        File.WriteAllText(Path.Combine(folder, "tiny.cnn.yaml"), network);
        return new ConsumerProject(folder, packages);
    }

    /// <summary>A copy of this consumer's files (not its restore or build) under another name, with another network.</summary>
    public ConsumerProject CopyTo(PackedCnnGen packed, string name, string network)
    {
        var folder = Directory.CreateDirectory(Path.Combine(packed.Root, name)).FullName;
        foreach (var file in new[] { "nuget.config", "Consumer.csproj", "Program.cs" })
            File.Copy(Path.Combine(Folder, file), Path.Combine(folder, file), overwrite: true);
        File.WriteAllText(Path.Combine(folder, "tiny.cnn.yaml"), network);
        return new ConsumerProject(folder, Packages);
    }

    /// <summary>Runs <c>dotnet</c> in the consumer's folder and logs the command, its exit code and time.</summary>
    public CommandResult Dotnet(ITestOutputHelper output, params string[] arguments)
    {
        var result = DotNet.Run(Folder, Environment, arguments);
        output.WriteLine($"$ {result.Command} -> exit code {result.ExitCode}, {result.Elapsed.TotalSeconds:F1} s");
        return result;
    }

    /// <summary>The packages the consumer's restore resolved ("id/version", ids as NuGet spells them), from obj/project.assets.json.</summary>
    public List<string> RestoredPackages()
    {
        var assets = Path.Combine(Folder, "obj", "project.assets.json");
        Assert.True(File.Exists(assets), $"{assets} is missing: the consumer was not restored");
        using var document = JsonDocument.Parse(File.ReadAllText(assets));
        return document.RootElement.GetProperty("libraries").EnumerateObject()
            .Where(library => library.Value.GetProperty("type").GetString() == "package")
            .Select(library => library.Name)
            .OrderBy(name => name, StringComparer.OrdinalIgnoreCase)
            .ToList();
    }

    /// <summary>
    /// libtorch's own native libraries in the consumer's output, by the platform folder that holds them
    /// (<c>runtimes/&lt;rid&gt;/native</c>, or "" for the output root): libtorch, libtorch_cpu, libc10 and the
    /// like, named <c>libtorch*.so</c>, <c>torch*.dll</c> or <c>libtorch*.dylib</c> (not TorchSharp's own
    /// LibTorchSharp binding, which the managed TorchSharp package brings for every platform).
    /// </summary>
    public SortedDictionary<string, List<string>> LibTorchNatives()
    {
        Assert.True(Directory.Exists(Output), $"{Output} is missing: the consumer was not built");
        var natives = new SortedDictionary<string, List<string>>(StringComparer.Ordinal);
        foreach (var file in Directory.EnumerateFiles(Output, "*", SearchOption.AllDirectories))
        {
            if (!LibTorchName().IsMatch(Path.GetFileName(file))) continue;
            var relative = Path.GetRelativePath(Output, file).Replace('\\', '/');
            var parts = relative.Split('/');
            var platform = parts.Length == 4 && parts[0] == "runtimes" && parts[2] == "native" ? parts[1] : "";
            if (!natives.TryGetValue(platform, out var files)) natives[platform] = files = [];
            files.Add(relative);
        }
        return natives;
    }

    /// <summary>The libtorch CPU kernel library of one platform: libtorch_cpu.so, torch_cpu.dll or libtorch_cpu.dylib.</summary>
    public static bool IsTorchCpu(string path) => TorchCpuName().IsMatch(Path.GetFileName(path));

    [GeneratedRegex(@"^(lib)?(torch|c10)[._]")]
    private static partial Regex LibTorchName();

    [GeneratedRegex(@"^(lib)?torch_cpu\.(so|dll|dylib)$")]
    private static partial Regex TorchCpuName();

    /// <summary>The AdditionalFiles items of an evaluation (<c>dotnet msbuild -getItem:AdditionalFiles</c>), relative, with '/'.</summary>
    public static List<string> AdditionalFiles(CommandResult evaluation)
    {
        Assert.True(evaluation.ExitCode == 0, $"The evaluation failed:\n{evaluation}");
        var json = evaluation.Output[evaluation.Output.IndexOf('{')..];
        using var document = JsonDocument.Parse(json);
        return document.RootElement.GetProperty("Items").GetProperty("AdditionalFiles").EnumerateArray()
            .Select(item => item.GetProperty("Identity").GetString()!.Replace('\\', '/'))
            .ToList();
    }
}
