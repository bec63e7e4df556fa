using System.Reflection;

namespace CnnGen.Package.Tests;

/// <summary>
/// <c>dotnet pack runtime/package/CnnGen/CnnGen.csproj</c> (the CnnGen package and, packed with it, CnnGen.Core)
/// into a temporary folder, once for the tests of this collection, with a version no earlier run used
/// (<c>0.1.0-t&lt;time&gt;</c>), built into its own artifacts folder so the build of the solution that runs the
/// tests is neither reused nor disturbed.
/// Set <c>CNNGEN_KEEP_PACKAGE_TEST=1</c> to keep the folder (feed, consumer project, logs) for inspection.
/// </summary>
public sealed class PackedCnnGen : IDisposable
{
    public string Root { get; }
    public string Feed { get; }
    public string Version { get; }

    /// <summary>CnnGen: CnnGen.Core with TorchSharp's CPU bundle, what most projects reference.</summary>
    public string Package { get; }

    /// <summary>CnnGen.Core: runtime, generator and build files, depending on the managed TorchSharp only.</summary>
    public string CorePackage { get; }

    public CommandResult Pack { get; }

    /// <summary>The machine's global packages folder (TorchSharp is there already; the consumer reads it as a fallback folder).</summary>
    public string MachinePackages { get; }

    public PackedCnnGen()
    {
        Root = Directory.CreateTempSubdirectory("cnngen-package-").FullName;
        // The consumer lives below Root: stop MSBuild's upward search for Directory.Build.* here, so nothing
        // that happens to lie in the temporary folder's parents changes the "brand-new project".
        File.WriteAllText(Path.Combine(Root, "Directory.Build.props"), "<Project />\n");
        File.WriteAllText(Path.Combine(Root, "Directory.Build.targets"), "<Project />\n");

        Feed = Path.Combine(Root, "feed");
        Version = $"0.1.0-t{DateTime.UtcNow:yyyyMMddHHmmssfff}";
        Pack = DotNet.Run(RepoRoot(), null, "pack", "runtime/package/CnnGen/CnnGen.csproj", "-o", Feed, $"-p:Version={Version}",
            "--artifacts-path", Path.Combine(Root, "artifacts"));
        Package = Path.Combine(Feed, $"CnnGen.{Version}.nupkg");
        CorePackage = Path.Combine(Feed, $"CnnGen.Core.{Version}.nupkg");
        foreach (var package in new[] { Package, CorePackage })
            if (Pack.ExitCode != 0 || !File.Exists(package))
                throw new InvalidOperationException($"dotnet pack did not produce {package}:\n{Pack}");

        var locals = DotNet.Run(Root, null, "nuget", "locals", "global-packages", "--list");
        const string prefix = "global-packages:";
        var line = locals.Output.Split('\n').Select(l => l.Trim()).FirstOrDefault(l => l.StartsWith(prefix, StringComparison.Ordinal));
        if (locals.ExitCode != 0 || line is null)
            throw new InvalidOperationException($"Could not find the machine's global packages folder:\n{locals}");
        MachinePackages = line[prefix.Length..].Trim();
    }

    /// <summary>The repository this test assembly was built from (recorded by its project file).</summary>
    public static string RepoRoot() =>
        typeof(PackedCnnGen).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "CnnGenRepoRoot").Value!;

    public void Dispose()
    {
        if (Environment.GetEnvironmentVariable("CNNGEN_KEEP_PACKAGE_TEST") == "1") return;
        try { Directory.Delete(Root, recursive: true); }
        catch (IOException) { }
        catch (UnauthorizedAccessException) { }
    }
}

[CollectionDefinition(nameof(PackageCollection))]
public sealed class PackageCollection : ICollectionFixture<PackedCnnGen>;
