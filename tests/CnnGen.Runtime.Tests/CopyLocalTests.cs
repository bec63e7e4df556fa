using CnnGen.Tests.Shared;

namespace CnnGen.Runtime.Tests;

/// <summary>
/// The repository's build outputs hard-link TorchSharp's native libraries from the NuGet cache instead of copying
/// them (Directory.Build.props): a private copy is about 1 GB per output, and a machine with a few clones runs out
/// of disk. This test's own output stands for every output of the solution, since they share that setting.
/// </summary>
public sealed class CopyLocalTests
{
    /// <summary>Files this large in an output are the native libraries (libtorch_cpu.so 461 MB, libc10.so 1.4 MB ...).</summary>
    private const long LargeFile = 1 << 20;

    [LinuxX64Fact]
    public void Large_native_libraries_in_the_output_are_hard_links_not_copies()
    {
        var natives = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native");
        Assert.True(Directory.Exists(natives), $"no native folder at {natives}");
        var large = Directory.GetFiles(natives)
            // The native fix rewrites this one in the output (a patched file of its own, 2.4 MB), on purpose.
            .Where(f => Path.GetFileName(f) != "libLibTorchSharp.so" && new FileInfo(f).Length >= LargeFile)
            .ToArray();
        Assert.Contains(large, f => Path.GetFileName(f) == "libtorch_cpu.so");

        var copies = large.Where(f => LinkCount(f) < 2)
            .Select(f => $"{Path.GetFileName(f)} ({new FileInfo(f).Length / (1 << 20):N0} MB)")
            .ToArray();
        Assert.True(copies.Length == 0,
            $"{copies.Length} of {large.Length} native libraries are private copies, not hard links into the NuGet cache: "
            + string.Join(", ", copies) + ". Is CreateHardLinksForCopyLocalIfPossible still set in Directory.Build.props?");
    }

    /// <summary>The number of directory entries naming the file's inode (GNU stat's %h); 1 means nothing shares it.</summary>
    private static int LinkCount(string path)
    {
        var (code, output, error) = ChildProcess.Run("stat", ["--format=%h", path], TimeSpan.FromSeconds(30));
        Assert.True(code == 0, $"stat {path}: {error}");
        return int.Parse(output.Trim());
    }
}
