// The TorchSharp native fix for Linux systems whose libstdc++ predates GCC 13 (Debian 12, Ubuntu 22.04).
//
// TorchSharp 0.107.0's libLibTorchSharp.so declares a need for GLIBCXX_3.4.32 for one symbol,
// std::ios_base_library_init, which it references without any relocation. The dynamic loader refuses
// the library where libstdc++ lacks that version. Marking the one version requirement weak
// (VER_FLG_WEAK in the vna_flags of its Vernaux entry in .gnu.version_r) makes the loader accept it;
// measured on Debian 12: TorchSharp loads and runs (see shared ENVIRONMENT.md). patchelf cannot do this.
//
// This file is compiled twice: by MSBuild's RoslynCodeTaskFactory as the build task (CnnGen.Runtime.targets),
// and by the runtime tests with CNNGEN_NO_MSBUILD defined, so the ELF logic has one implementation.
using System;
using System.IO;
using System.Text;

public static class CnnGenElfVersionPatcher
{
    public const string Version = "GLIBCXX_3.4.32";
    private const uint ShtGnuVerneed = 0x6ffffffe;
    private const ushort VerFlagWeak = 0x2;

    public enum Outcome { Patched, AlreadyWeak, NotRequired, NotElf }

    /// <summary>Where the loader would find libstdc++.so.6, or null.</summary>
    public static string? FindSystemLibStdCxx()
    {
        foreach (var folder in new[] { "/usr/lib/x86_64-linux-gnu", "/lib/x86_64-linux-gnu", "/usr/lib/aarch64-linux-gnu", "/lib/aarch64-linux-gnu", "/usr/lib64", "/lib64", "/usr/lib", "/lib" })
        {
            var path = Path.Combine(folder, "libstdc++.so.6");
            if (File.Exists(path)) return path;
        }
        return null;
    }

    /// <summary>True when the system's libstdc++ defines GLIBCXX_3.4.32 (GCC 13 or newer): then nothing needs patching.</summary>
    public static bool SystemHasVersion(string libStdCxx) => IndexOf(File.ReadAllBytes(libStdCxx), Encoding.ASCII.GetBytes(Version + "\0")) >= 0;

    /// <summary>The offset of the vna_flags field of the GLIBCXX_3.4.32 requirement, or -1 if the file has none.</summary>
    public static long FindFlagsOffset(byte[] elf)
    {
        if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
            throw new InvalidDataException("not an ELF file");
        if (elf[4] != 2 || elf[5] != 1) throw new InvalidDataException("not a 64-bit little-endian ELF file");
        var sectionOffset = (long)ReadU64(elf, 0x28);
        var sectionSize = ReadU16(elf, 0x3A);
        var sectionCount = ReadU16(elf, 0x3C);
        Require(elf, sectionOffset, (long)sectionSize * sectionCount);
        for (var i = 0; i < sectionCount; i++)
        {
            var header = sectionOffset + (long)i * sectionSize;
            if (ReadU32(elf, header + 4) != ShtGnuVerneed) continue;
            var offset = (long)ReadU64(elf, header + 0x18);
            var size = (long)ReadU64(elf, header + 0x20);
            var link = ReadU32(elf, header + 0x28);
            var needCount = ReadU32(elf, header + 0x2C);
            Require(elf, offset, size);
            var stringsHeader = sectionOffset + (long)link * sectionSize;
            Require(elf, stringsHeader, sectionSize);
            var strings = (long)ReadU64(elf, stringsHeader + 0x18);
            var stringsSize = (long)ReadU64(elf, stringsHeader + 0x20);
            Require(elf, strings, stringsSize);

            var need = offset;
            for (var n = 0; n < needCount; n++)
            {
                Require(elf, need, 16);
                var auxCount = ReadU16(elf, need + 2);
                var aux = need + ReadU32(elf, need + 8);
                for (var a = 0; a < auxCount; a++)
                {
                    Require(elf, aux, 16);
                    var name = ReadString(elf, strings, stringsSize, ReadU32(elf, aux + 8));
                    if (name == Version) return aux + 4;
                    var next = ReadU32(elf, aux + 12);
                    if (next == 0) break;
                    aux += next;
                }
                var nextNeed = ReadU32(elf, need + 12);
                if (nextNeed == 0) break;
                need += nextNeed;
            }
        }
        return -1;
    }

    /// <summary>Marks the requirement weak in <paramref name="path"/>, idempotently, replacing the file atomically
    /// (a hard link into the NuGet cache is never written through).</summary>
    public static Outcome Patch(string path)
    {
        var elf = File.ReadAllBytes(path);
        long flags;
        try
        {
            flags = FindFlagsOffset(elf);
        }
        catch (InvalidDataException)
        {
            return Outcome.NotElf;
        }
        if (flags < 0) return Outcome.NotRequired;
        var value = ReadU16(elf, flags);
        if ((value & VerFlagWeak) != 0) return Outcome.AlreadyWeak;
        value |= VerFlagWeak;
        elf[flags] = (byte)(value & 0xff);
        elf[flags + 1] = (byte)(value >> 8);
        var temporary = path + ".cnngen-tmp";
        File.WriteAllBytes(temporary, elf);
        // Replace renames over the old name, so a hard link into the NuGet cache keeps the original bytes.
        File.Replace(temporary, path, null);
        return Outcome.Patched;
    }

    public static ushort ReadFlags(string path)
    {
        var elf = File.ReadAllBytes(path);
        var offset = FindFlagsOffset(elf);
        return offset < 0 ? (ushort)0 : ReadU16(elf, offset);
    }

    private static void Require(byte[] elf, long offset, long length)
    {
        if (offset < 0 || length < 0 || offset + length > elf.Length) throw new InvalidDataException("ELF structure points outside the file");
    }

    private static ushort ReadU16(byte[] b, long o) { Require(b, o, 2); return (ushort)(b[o] | b[o + 1] << 8); }

    private static uint ReadU32(byte[] b, long o) { Require(b, o, 4); return (uint)(b[o] | b[o + 1] << 8 | b[o + 2] << 16 | b[o + 3] << 24); }

    private static ulong ReadU64(byte[] b, long o) => ReadU32(b, o) | (ulong)ReadU32(b, o + 4) << 32;

    private static string ReadString(byte[] elf, long table, long size, uint index)
    {
        var start = table + index;
        var end = start;
        while (end < table + size && elf[end] != 0) end++;
        return Encoding.ASCII.GetString(elf, (int)start, (int)(end - start));
    }

    private static int IndexOf(byte[] haystack, byte[] needle)
    {
        for (var i = 0; i <= haystack.Length - needle.Length; i++)
        {
            var j = 0;
            while (j < needle.Length && haystack[i + j] == needle[j]) j++;
            if (j == needle.Length) return i;
        }
        return -1;
    }
}

#if !CNNGEN_NO_MSBUILD
/// <summary>The MSBuild task: patches every libLibTorchSharp.so under <see cref="Directory"/> where needed.</summary>
public sealed class CnnGenWeakenGlibcxx : Microsoft.Build.Utilities.Task
{
    [Microsoft.Build.Framework.Required]
    public string Directory { get; set; } = "";

    public override bool Execute()
    {
        if (!System.IO.Directory.Exists(Directory)) return true;
        var files = System.IO.Directory.GetFiles(Directory, "libLibTorchSharp.so", SearchOption.AllDirectories);
        if (files.Length == 0) return true;
        var libStdCxx = CnnGenElfVersionPatcher.FindSystemLibStdCxx();
        if (libStdCxx is null || CnnGenElfVersionPatcher.SystemHasVersion(libStdCxx))
        {
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, "CnnGen: the system libstdc++ provides GLIBCXX_3.4.32; TorchSharp's native library needs no change.");
            return true;
        }
        foreach (var file in files)
        {
            var outcome = CnnGenElfVersionPatcher.Patch(file);
            switch (outcome)
            {
                case CnnGenElfVersionPatcher.Outcome.Patched:
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.High,
                        $"CnnGen: marked GLIBCXX_3.4.32 weak in {file} ({libStdCxx} lacks it, so TorchSharp would not load; set CnnGenPatchTorchSharpNative=false to opt out)");
                    break;
                case CnnGenElfVersionPatcher.Outcome.NotElf:
                    Log.LogWarning($"CnnGen: {file} is not the 64-bit little-endian ELF library expected; TorchSharp may fail to load with 'GLIBCXX_3.4.32 not found'.");
                    break;
                default:
                    Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Low, $"CnnGen: {file}: {outcome}");
                    break;
            }
        }
        return true;
    }
}
#endif
