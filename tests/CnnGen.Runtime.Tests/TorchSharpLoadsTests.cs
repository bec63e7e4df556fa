using System.Buffers.Binary;
using System.Reflection;
using System.Runtime.InteropServices;
using System.Text;
using CnnGen.Build;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests;

/// <summary>
/// TorchSharp's native library loads and computes on this machine, because the build marks its
/// GLIBCXX_3.4.32 requirement weak in the output copy where the system libstdc++ lacks that version
/// (runtime/build/CnnGen.Runtime.targets), and only there: never in the NuGet cache, once.
/// </summary>
public sealed class TorchSharpLoadsTests : IDisposable
{
    private const string Version = "GLIBCXX_3.4.32";
    private const ushort VerFlagWeak = 0x2;
    private const ushort MachineX86_64 = 62;

    private readonly string _temp = Path.Combine(Path.GetTempPath(), "cnngen-elf-" + Guid.NewGuid().ToString("N"));

    public TorchSharpLoadsTests() => Directory.CreateDirectory(_temp);

    public void Dispose() => Directory.Delete(_temp, recursive: true);

    [Fact]
    public void TorchSharp_loads_and_runs_a_convolution()
    {
        // The first call into libLibTorchSharp.so. Without the fix, on Debian 12 / Ubuntu 22.04, dlopen fails
        // with "version `GLIBCXX_3.4.32' not found (required by .../libLibTorchSharp.so)", and TorchSharp's
        // type initializer throws (a NotSupportedException claiming libtorch-cpu-linux-x64 is not referenced).
        using var x = ones(1, 1, 4, 4);
        using var conv = nn.Conv2d(1, 2, 3, padding: 1);
        using (no_grad())
        {
            conv.weight!.fill_(1.0f);
            conv.bias!.fill_(0.5f);
        }

        using var y = conv.call(x);

        Assert.Equal(new long[] { 1, 2, 4, 4 }, y.shape);
        // With all-ones input and weights, each output counts the input cells under the 3x3 window.
        Assert.Equal(4.5f, y[0, 0, 0, 0].item<float>()); // corner: 2x2 cells
        Assert.Equal(6.5f, y[0, 1, 0, 1].item<float>()); // edge: 2x3 cells
        Assert.Equal(9.5f, y[0, 0, 2, 2].item<float>()); // interior: 3x3 cells
        // Per channel: 4 corners x 4 + 8 edges x 6 + 4 interior x 9 = 100, plus 16 x 0.5 bias.
        Assert.Equal(2 * 108f, y.sum().item<float>());
    }

    [LinuxX64Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // the attribute above skips it elsewhere
    public void Output_copy_is_weak_exactly_where_the_system_libstdcxx_lacks_the_version_and_the_cache_is_untouched()
    {

        var output = Path.Combine(AppContext.BaseDirectory, "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(output), $"no {output} next to the test assembly");
        var cached = NuGetCacheCopy();
        var outputBytes = File.ReadAllBytes(output);
        var cachedBytes = File.ReadAllBytes(cached);

        // The NuGet cache keeps the library as TorchSharp shipped it.
        var cachedNeed = ElfTestReader.FindVersionNeed(cachedBytes, Version);
        Assert.Equal("libstdc++.so.6", cachedNeed.File);
        Assert.Equal(0, cachedNeed.Flags);

        var system = ElfVersionPatcher.FindSystemLibrary("libstdc++.so.6", MachineX86_64);
        Assert.NotNull(system);
        var outputNeed = ElfTestReader.FindVersionNeed(outputBytes, Version);
        Assert.Equal(cachedNeed.FlagsOffset, outputNeed.FlagsOffset);
        Assert.Equal(cachedBytes.Length, outputBytes.Length);
        if (ElfVersionPatcher.DefinesVersion(system!, Version))
        {
            // Nothing to fix here, so the build must not have touched the file.
            Assert.Equal(cachedBytes, outputBytes);
        }
        else
        {
            Assert.Equal(VerFlagWeak, outputNeed.Flags);
            // Exactly the two bytes of that one vna_flags field differ from the original.
            Assert.Equal(new[] { outputNeed.FlagsOffset }, DifferingOffsets(cachedBytes, outputBytes));
        }
    }

    [Fact]
    public void Patching_twice_leaves_the_file_byte_identical()
    {
        var original = File.ReadAllBytes(NuGetCacheCopy());
        var path = Path.Combine(_temp, "libLibTorchSharp.so");
        File.WriteAllBytes(path, original);
        var expectedOffset = ElfTestReader.FindVersionNeed(original, Version).FlagsOffset;

        var first = ElfVersionPatcher.MarkVersionNeedWeak(path, Version);
        var once = File.ReadAllBytes(path);
        var second = ElfVersionPatcher.MarkVersionNeedWeak(path, Version);
        var twice = File.ReadAllBytes(path);

        Assert.Equal(ElfPatchOutcome.Patched, first.Outcome);
        var change = Assert.Single(first.Changes);
        Assert.Equal((expectedOffset, (ushort)0, VerFlagWeak), (change.Offset, change.Before, change.After));
        Assert.Equal(new[] { expectedOffset }, DifferingOffsets(original, once));
        Assert.Equal(VerFlagWeak, ElfTestReader.FindVersionNeed(once, Version).Flags);

        Assert.Equal(ElfPatchOutcome.AlreadyWeak, second.Outcome);
        Assert.Empty(second.Changes);
        Assert.Equal(once, twice);
        Assert.Equal(new[] { path }, Directory.GetFiles(_temp)); // no temporary file left behind
    }

    [LinuxX64Fact(AnyArchitecture = true)]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // the attribute above skips it elsewhere
    public void Patching_replaces_the_file_so_a_hard_link_to_it_keeps_the_original_bytes()
    {
        // This is the NuGet cache's situation when the output was filled with hard links
        // (CreateHardLinksForCopyLocalIfPossible=true).
        var cache = Path.Combine(_temp, "cache.so");
        var output = Path.Combine(_temp, "output.so");
        File.Copy(NuGetCacheCopy(), cache);
        var lastWrite = File.GetLastWriteTimeUtc(cache);
        Assert.True(link(cache, output) == 0, $"link() failed: errno {Marshal.GetLastWin32Error()}");

        var result = ElfVersionPatcher.MarkVersionNeedWeak(output, Version);

        Assert.Equal(ElfPatchOutcome.Patched, result.Outcome);
        Assert.Equal(0, ElfTestReader.FindVersionNeed(File.ReadAllBytes(cache), Version).Flags);
        Assert.Equal(VerFlagWeak, ElfTestReader.FindVersionNeed(File.ReadAllBytes(output), Version).Flags);
        // Same time stamp as before, so MSBuild's incremental copy (size + time) sees an up-to-date file.
        Assert.Equal(lastWrite, File.GetLastWriteTimeUtc(output));
        // The replacement keeps the permission bits (the library stays executable).
        Assert.Equal(File.GetUnixFileMode(cache), File.GetUnixFileMode(output));
    }

    [Fact]
    public void Unexpected_files_are_reported_and_never_written()
    {
        var original = File.ReadAllBytes(NuGetCacheCopy());
        var needOffset = ElfTestReader.FindVersionNeed(original, Version).FlagsOffset;

        var truncated = original[..(int)(needOffset - 100)];   // the version tables are cut off
        var notElf = Encoding.ASCII.GetBytes("INPUT(libLibTorchSharp.so.1)\n"); // e.g. a linker script
        var badSectionTable = (byte[])original.Clone();
        BinaryPrimitives.WriteUInt64LittleEndian(badSectionTable.AsSpan(0x28), (ulong)original.Length - 10); // e_shoff
        var badHash = (byte[])original.Clone();
        badHash[needOffset - 4] ^= 0x01; // vna_hash of the entry no longer matches its name
        var bigEndian = (byte[])original.Clone();
        bigEndian[5] = 2; // EI_DATA = ELFDATA2MSB

        foreach (var (name, bytes) in new[] { ("truncated", truncated), ("not-elf", notElf), ("bad-shoff", badSectionTable), ("bad-hash", badHash), ("big-endian", bigEndian) })
        {
            var path = Path.Combine(_temp, name + ".so");
            File.WriteAllBytes(path, bytes);
            var result = ElfVersionPatcher.MarkVersionNeedWeak(path, Version);
            Assert.True(result.Outcome == ElfPatchOutcome.UnexpectedLayout, $"{name}: {result.Outcome} ({result.Detail})");
            Assert.False(string.IsNullOrWhiteSpace(result.Detail));
            Assert.Equal(bytes, File.ReadAllBytes(path));
        }

        var other = Path.Combine(_temp, "other-version.so");
        File.WriteAllBytes(other, original);
        Assert.Equal(ElfPatchOutcome.VersionNotRequired, ElfVersionPatcher.MarkVersionNeedWeak(other, "GLIBCXX_9.9.99").Outcome);
        Assert.Equal(original, File.ReadAllBytes(other));
    }

    [Fact]
    public void Reads_every_version_requirement_as_readelf_lists_them()
    {
        var needs = ElfVersionPatcher.ReadVersionNeeds(File.ReadAllBytes(NuGetCacheCopy()));

        // `readelf -V` on TorchSharp 0.107.0's libLibTorchSharp.so: 5 files, 1 + 1 + 1 + 5 + 20 versions,
        // GLIBCXX_3.4.32 is version index 18 with flags "none" in the entry at 0x3fa30. These numbers pin
        // 0.107.0: after a TorchSharp upgrade, re-check with readelf whether the fix is still needed.
        Assert.Equal(28, needs.Count);
        Assert.Equal(20, needs.Count(n => n.FileName == "libstdc++.so.6"));
        var need = Assert.Single(needs, n => n.VersionName == Version);
        Assert.Equal((18, (ushort)0, 0x3fa34L), (need.Other, need.Flags, need.FlagsOffset));
        Assert.All(needs, n => Assert.Equal(ElfVersionPatcher.ElfHash(n.VersionName), n.Hash));
    }

    [LinuxX64Fact]
    [System.Runtime.Versioning.SupportedOSPlatform("linux")] // the attribute above skips it elsewhere
    public void Finds_the_system_libstdcxx_and_reads_its_versions()
    {
        var searched = new List<string>();
        var system = ElfVersionPatcher.FindSystemLibrary("libstdc++.so.6", MachineX86_64, searched);

        Assert.True(system is not null, "not found in: " + string.Join(", ", searched));
        Assert.True(ElfVersionPatcher.DefinesVersion(system!, "GLIBCXX_3.4"));
        Assert.True(ElfVersionPatcher.DefinesVersion(system!, "CXXABI_1.3"));
        Assert.False(ElfVersionPatcher.DefinesVersion(system!, "GLIBCXX_3.4.999"));
    }

    /// <summary>The library as restored from NuGet (NUGET_PACKAGES or ~/.nuget/packages).</summary>
    private static string NuGetCacheCopy()
    {
        var root = Environment.GetEnvironmentVariable("NUGET_PACKAGES");
        if (string.IsNullOrEmpty(root))
            root = Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".nuget", "packages");
        var path = Path.Combine(root, "torchsharp", TorchSharpVersion(), "runtimes", "linux-x64", "native", "libLibTorchSharp.so");
        Assert.True(File.Exists(path), $"TorchSharp's library is not in the NuGet cache at {path}");
        return path;
    }

    private static string TorchSharpVersion()
    {
        var assembly = typeof(torch).Assembly;
        var informational = assembly.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion;
        if (!string.IsNullOrEmpty(informational))
            return informational.Split('+')[0];
        var version = assembly.GetName().Version!;
        return $"{version.Major}.{version.Minor}.{version.Build}";
    }

    /// <summary>
    /// Where two equally long files differ, as the start offsets of the aligned 16-bit fields that differ
    /// (vna_flags is such a field, at an even offset, so one changed field gives one offset).
    /// </summary>
    private static long[] DifferingOffsets(byte[] a, byte[] b)
    {
        Assert.Equal(a.Length, b.Length);
        var offsets = new List<long>();
        for (var i = 0; i < a.Length; i++)
            if (a[i] != b[i] && (offsets.Count == 0 || offsets[^1] != (i & ~1)))
                offsets.Add(i & ~1);
        return offsets.ToArray();
    }

    [DllImport("libc.so.6", SetLastError = true)]
    private static extern int link(string oldpath, string newpath);

    /// <summary>
    /// A deliberately separate, minimal reader of .gnu.version_r (section headers only), so the tests do
    /// not check the patcher against itself.
    /// </summary>
    private static class ElfTestReader
    {
        public readonly record struct Need(string File, ushort Flags, long FlagsOffset);

        public static Need FindVersionNeed(byte[] elf, string version)
        {
            var d = elf.AsSpan();
            Assert.True(d[..4].SequenceEqual(new byte[] { 0x7f, (byte)'E', (byte)'L', (byte)'F' }) && d[4] == 2 && d[5] == 1, "not ELF64 LE");
            var shoff = (int)BinaryPrimitives.ReadUInt64LittleEndian(d[0x28..]);
            int shnum = BinaryPrimitives.ReadUInt16LittleEndian(d[0x3C..]);
            for (var i = 0; i < shnum; i++)
            {
                var sh = d.Slice(shoff + 64 * i, 64);
                if (BinaryPrimitives.ReadUInt32LittleEndian(sh[4..]) != 0x6ffffffe) // SHT_GNU_verneed
                    continue;
                var offset = (int)BinaryPrimitives.ReadUInt64LittleEndian(sh[0x18..]);
                var link = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x28..]);
                var count = (int)BinaryPrimitives.ReadUInt32LittleEndian(sh[0x2C..]);
                var strtab = (int)BinaryPrimitives.ReadUInt64LittleEndian(d.Slice(shoff + 64 * link, 64)[0x18..]);
                var need = offset;
                for (var n = 0; n < count; n++)
                {
                    var file = Str(elf, strtab, BinaryPrimitives.ReadUInt32LittleEndian(d[(need + 4)..]));
                    var aux = need + (int)BinaryPrimitives.ReadUInt32LittleEndian(d[(need + 8)..]);
                    int auxCount = BinaryPrimitives.ReadUInt16LittleEndian(d[(need + 2)..]);
                    for (var a = 0; a < auxCount; a++)
                    {
                        if (Str(elf, strtab, BinaryPrimitives.ReadUInt32LittleEndian(d[(aux + 8)..])) == version)
                            return new Need(file, BinaryPrimitives.ReadUInt16LittleEndian(d[(aux + 4)..]), aux + 4);
                        aux += (int)BinaryPrimitives.ReadUInt32LittleEndian(d[(aux + 12)..]);
                    }
                    need += (int)BinaryPrimitives.ReadUInt32LittleEndian(d[(need + 12)..]);
                }
            }
            throw new Xunit.Sdk.XunitException($"no {version} requirement in .gnu.version_r");
        }

        private static string Str(byte[] elf, int table, uint at)
        {
            var start = elf.AsSpan(table + (int)at);
            return Encoding.ASCII.GetString(start[..start.IndexOf((byte)0)]);
        }
    }
}
