using System.IO.Compression;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace CnnGen.Package.Tests;

/// <summary>What the CnnGen package holds and declares (the consumer test shows that it works).</summary>
[Collection(nameof(PackageCollection))]
public class PackageContentsTests(PackedCnnGen packed, ITestOutputHelper output)
{
    [Fact]
    public void The_package_holds_the_runtime_the_generator_with_YamlDotNet_and_the_build_files()
    {
        using var zip = ZipFile.OpenRead(packed.Package);
        var entries = zip.Entries.Select(e => e.FullName).Where(n => !n.EndsWith('/')).OrderBy(n => n, StringComparer.Ordinal).ToList();
        var listing = string.Join("\n", entries.Select(n => $"  {n} ({zip.GetEntry(n)!.Length:N0} bytes)"));
        output.WriteLine($"{Path.GetFileName(packed.Package)} ({new FileInfo(packed.Package).Length:N0} bytes), packed in {packed.Pack.Elapsed.TotalSeconds:F1} s:\n{listing}");

        string[] expected =
        [
            "README.md",
            "lib/net10.0/CnnGen.Runtime.dll",
            "lib/net10.0/CnnGen.Runtime.xml",
            "analyzers/dotnet/cs/CnnGen.Generator.dll",
            "analyzers/dotnet/cs/YamlDotNet.dll",
            "buildTransitive/CnnGen.props",
            "buildTransitive/CnnGen.targets",
            "buildTransitive/CnnGen.Runtime.targets",
            "buildTransitive/ElfVersionPatcher.cs",
        ];
        var missing = expected.Except(entries).ToList();
        Assert.True(missing.Count == 0, $"missing from the package: {string.Join(", ", missing)}\npackage:\n{listing}");

        // Nothing else that would reach a user's compilation or output: no generator in lib/, no Roslyn,
        // no second copy of YamlDotNet, no content files.
        var payload = entries.Where(n => n.StartsWith("lib/") || n.StartsWith("analyzers/") || n.StartsWith("build") || n.StartsWith("content"));
        var unexpected = payload.Except(expected).ToList();
        Assert.True(unexpected.Count == 0, $"unexpected in the package: {string.Join(", ", unexpected)}\npackage:\n{listing}");

        using var nuspecStream = zip.GetEntry("CnnGen.nuspec")!.Open();
        var nuspec = XDocument.Load(nuspecStream);
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        string? Meta(string name) => metadata.Element(ns + name)?.Value;
        Assert.Equal("CnnGen", Meta("id"));
        Assert.Equal(packed.Version, Meta("version"));
        Assert.Equal("MIT", Meta("license"));
        Assert.Equal("README.md", Meta("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Meta("authors")), nuspec.ToString());
        Assert.False(string.IsNullOrWhiteSpace(Meta("description")), nuspec.ToString());
        Assert.Contains("source-generator", Meta("tags") ?? "");
        Assert.StartsWith("https://", metadata.Element(ns + "repository")?.Attribute("url")?.Value ?? "");

        // One dependency: TorchSharp-cpu (the generator's Roslyn and YamlDotNet are build-time only).
        var dependencies = metadata.Descendants(ns + "dependency")
            .Select(d => $"{d.Attribute("id")?.Value} {d.Attribute("version")?.Value}").ToList();
        Assert.True(dependencies.SequenceEqual(["TorchSharp-cpu 0.107.0"]), $"dependencies: {string.Join(", ", dependencies)}\n{nuspec}");
    }
}
