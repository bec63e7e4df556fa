using System.Runtime.InteropServices;

namespace CnnGen.Testing;

/// <summary>
/// What the process holds, read from Linux and glibc: resident memory and minor page faults from /proc,
/// and glibc's own account of its heap (mallinfo2: what is allocated, what is free but kept, what is
/// mapped). Shared by the memory tests and the memory check of samples/Performance.
/// </summary>
internal static class ProcessMemory
{
    /// <summary>VmRSS of /proc/self/status, in bytes.</summary>
    public static long Resident()
    {
        foreach (var line in File.ReadLines("/proc/self/status"))
            if (line.StartsWith("VmRSS:", StringComparison.Ordinal))
                return long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], System.Globalization.CultureInfo.InvariantCulture) * 1024;
        throw new InvalidOperationException("no VmRSS in /proc/self/status");
    }

    /// <summary>minflt, field 10 of /proc/self/stat.</summary>
    public static long MinorFaults()
    {
        var stat = File.ReadAllText("/proc/self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return long.Parse(fields[7], System.Globalization.CultureInfo.InvariantCulture);
    }

    /// <summary>Bytes allocated from glibc's heap and not yet freed, over all arenas.</summary>
    public static long NativeHeapInUse() => (long)mallinfo2().UordBlks;

    /// <summary>Bytes glibc serves from mappings of their own (blocks above its mmap threshold), over all arenas.</summary>
    public static long NativeMapped() => (long)mallinfo2().HBlkHd;

    public static string DescribeNativeHeap()
    {
        var info = mallinfo2();
        return $"glibc heap: {Megabytes(info.UordBlks)} in use, {Megabytes(info.FordBlks)} free in {info.OrdBlks} chunks, {Megabytes(info.HBlkHd)} mapped";
    }

    private static string Megabytes(nuint bytes) => $"{bytes / 1048576.0:F1} MB";

    [StructLayout(LayoutKind.Sequential)]
    private struct MallInfo2
    {
        public nuint Arena, OrdBlks, SmBlks, HBlks, HBlkHd, UsmBlks, FsmBlks, UordBlks, FordBlks, KeepCost;
    }

    // glibc 2.33 and later (Debian 12 has 2.36); mallinfo2 sums every arena.
    [DllImport("libc")]
    private static extern MallInfo2 mallinfo2();
}
