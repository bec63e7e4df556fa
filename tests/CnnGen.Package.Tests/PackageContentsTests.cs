using System.IO.Compression;
using System.Xml.Linq;
using Xunit.Abstractions;

namespace CnnGen.Package.Tests;

/// <summary>
/// What the two packages hold and declare (the consumer tests show that they work): CnnGen.Core has the
/// runtime, the generator and the build files and depends on the managed TorchSharp only; CnnGen is
/// CnnGen.Core with TorchSharp's CPU bundle.
/// </summary>
[Collection(nameof(PackageCollection))]
public class PackageContentsTests(PackedCnnGen packed, ITestOutputHelper output)
{
    [Fact]
    public void The_core_package_holds_the_runtime_the_generator_with_YamlDotNet_and_the_build_files()
    {
        using var zip = ZipFile.OpenRead(packed.CorePackage);
        var entries = Entries(zip, packed.CorePackage, out var listing);

        string[] expected =
        [
            "README.md",
            "lib/net10.0/CnnGen.Runtime.dll",
            "lib/net10.0/CnnGen.Runtime.xml",
            "analyzers/dotnet/cs/CnnGen.Generator.dll",
            "analyzers/dotnet/cs/YamlDotNet.dll",
            // NuGet imports buildTransitive/<id>.props and .targets: named after this package.
            "buildTransitive/CnnGen.Core.props",
            "buildTransitive/CnnGen.Core.targets",
            "buildTransitive/CnnGen.Runtime.targets",
            "buildTransitive/ElfVersionPatcher.cs",
        ];
        var missing = expected.Except(entries).ToList();
        Assert.True(missing.Count == 0, $"missing from the package: {string.Join(", ", missing)}\npackage:\n{listing}");

        // Nothing else that would reach a user's compilation or output: no generator in lib/, no Roslyn,
        // no second copy of YamlDotNet, no content files, no native library.
        var unexpected = Payload(entries).Except(expected).ToList();
        Assert.True(unexpected.Count == 0, $"unexpected in the package: {string.Join(", ", unexpected)}\npackage:\n{listing}");

        var metadata = Metadata(zip, "CnnGen.Core");
        // The managed TorchSharp (and OnnxSharp for the ONNX export), no native bundle (the generator's Roslyn and YamlDotNet are
        // build-time only). Which libtorch runs is the user's choice: CnnGen adds the CPU one.
        Assert.Equal(["OnnxSharp 0.3.2", "TorchSharp 0.107.0"], Dependencies(metadata).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void The_CnnGen_package_is_the_core_with_the_CPU_bundle()
    {
        using var zip = ZipFile.OpenRead(packed.Package);
        var entries = Entries(zip, packed.Package, out var listing);

        // No code of its own: the placeholder only says which framework its dependencies are for.
        Assert.True(Payload(entries).SequenceEqual(["lib/net10.0/_._"]), $"the package holds more than dependencies:\n{listing}");
        Assert.Contains("README.md", entries);

        var metadata = Metadata(zip, "CnnGen");
        // CnnGen.Core of the same version with all its assets (its analyzer and build files must reach the
        // users of CnnGen), and TorchSharp-cpu as the default bundle.
        Assert.Equal([$"CnnGen.Core {packed.Version} include=All", "TorchSharp-cpu 0.107.0 exclude=Build,Analyzers"], Dependencies(metadata, withAssets: true));
    }

    /// <summary>The package's files, listed into the test output with their sizes.</summary>
    private List<string> Entries(ZipArchive zip, string package, out string listing)
    {
        var entries = zip.Entries.Select(e => e.FullName).Where(n => !n.EndsWith('/')).OrderBy(n => n, StringComparer.Ordinal).ToList();
        listing = string.Join("\n", entries.Select(n => $"  {n} ({zip.GetEntry(n)!.Length:N0} bytes)"));
        output.WriteLine($"{Path.GetFileName(package)} ({new FileInfo(package).Length:N0} bytes), packed in {packed.Pack.Elapsed.TotalSeconds:F1} s:\n{listing}");
        return entries;
    }

    /// <summary>What reaches a user's compilation, output or build: lib/, analyzers/, build*/, content*/, runtimes/.</summary>
    private static IEnumerable<string> Payload(IEnumerable<string> entries) =>
        entries.Where(n => n.StartsWith("lib/") || n.StartsWith("analyzers/") || n.StartsWith("build") || n.StartsWith("content") || n.StartsWith("runtimes/"));

    /// <summary>The nuspec's metadata, with what every package of CnnGen declares checked.</summary>
    private XElement Metadata(ZipArchive zip, string id)
    {
        using var nuspecStream = zip.GetEntry($"{id}.nuspec")!.Open();
        var nuspec = XDocument.Load(nuspecStream);
        var ns = nuspec.Root!.Name.Namespace;
        var metadata = nuspec.Root.Element(ns + "metadata")!;
        string? Meta(string name) => metadata.Element(ns + name)?.Value;
        Assert.Equal(id, Meta("id"));
        Assert.Equal(packed.Version, Meta("version"));
        Assert.Equal("MIT", Meta("license"));
        Assert.Equal("README.md", Meta("readme"));
        Assert.False(string.IsNullOrWhiteSpace(Meta("authors")), nuspec.ToString());
        Assert.False(string.IsNullOrWhiteSpace(Meta("description")), nuspec.ToString());
        Assert.Contains("source-generator", Meta("tags") ?? "");
        Assert.StartsWith("https://", metadata.Element(ns + "repository")?.Attribute("url")?.Value ?? "");
        // One group, for the framework the runtime targets.
        var groups = metadata.Descendants(ns + "group").Select(g => g.Attribute("targetFramework")?.Value).ToList();
        Assert.True(groups.SequenceEqual(["net10.0"]), $"dependency groups: {string.Join(", ", groups)}\n{nuspec}");
        output.WriteLine(nuspec.ToString());
        return metadata;
    }

    /// <summary>"id version" per dependency, with " include=..." and " exclude=..." where asked and present.</summary>
    private static List<string> Dependencies(XElement metadata, bool withAssets = false) =>
        metadata.Descendants(metadata.Name.Namespace + "dependency")
            .Select(d => $"{d.Attribute("id")?.Value} {d.Attribute("version")?.Value}"
                + (withAssets && d.Attribute("include") is { } include ? $" include={include.Value}" : "")
                + (withAssets && d.Attribute("exclude") is { } exclude ? $" exclude={exclude.Value}" : ""))
            .ToList();
}
