using System;
using System.Runtime.InteropServices;

namespace CnnGen.Runtime;

/// <summary>
/// The process's native allocator under repeated inference. libtorch takes every tensor from glibc's
/// malloc. A generated forward frees each activation at its last use, so every call allocates and frees
/// the same sizes again; with glibc's defaults part of the freed memory is handed back to the system (the
/// top of the heap is trimmed once more than twice the largest recent block is free) and the next call
/// faults the same pages in again: from a few to over a thousand minor page faults per ResNet-50 call,
/// varying from run to run with where the heap's top happens to land (docs/performance.md, Memory).
/// </summary>
public static class NativeAllocator
{
    // mallopt parameters from glibc's malloc.h.
    private const int TrimThresholdOption = -1;
    private const int MmapThresholdOption = -3;

    /// <summary>glibc's largest mmap threshold on 64-bit systems (DEFAULT_MMAP_THRESHOLD_MAX).</summary>
    public const int LargestMmapThreshold = 32 * 1024 * 1024;

    /// <summary>
    /// Asks glibc to keep freed memory for reuse instead of returning it to the system: blocks up to
    /// <paramref name="mmapThreshold"/> bytes come from the heap, and the heap's top is trimmed only when more
    /// than <paramref name="trimThreshold"/> bytes are free there. The same as starting the process with
    /// <c>GLIBC_TUNABLES=glibc.malloc.trim_threshold=1073741824:glibc.malloc.mmap_threshold=33554432</c>,
    /// but callable at run time. It is process-wide and cannot be undone (glibc's adaptive thresholds stay
    /// off once set), so it is the application's choice; nothing in CnnGen calls it for you.
    /// Activations larger than the mmap threshold (batch 32 and up for ImageNet networks) are still mapped
    /// and unmapped per call. It is for steady memory, not speed: on the project's machine ResNet-50
    /// inference ran 13-17% slower with it (docs/performance.md, Memory).
    /// </summary>
    /// <returns>True when glibc accepted both settings; false on other C libraries and operating systems.</returns>
    public static bool KeepFreedMemory(int trimThreshold = 1 << 30, int mmapThreshold = LargestMmapThreshold)
    {
        if (trimThreshold <= 0) throw new ArgumentOutOfRangeException(nameof(trimThreshold), trimThreshold, "The trim threshold must be positive.");
        if (mmapThreshold <= 0 || mmapThreshold > LargestMmapThreshold)
            throw new ArgumentOutOfRangeException(nameof(mmapThreshold), mmapThreshold, $"glibc accepts mmap thresholds from 1 to {LargestMmapThreshold} bytes.");
        if (!OperatingSystem.IsLinux()) return false;
        try
        {
            // mallopt returns 1 on success; musl's returns 0 and changes nothing.
            return mallopt(MmapThresholdOption, mmapThreshold) == 1 && mallopt(TrimThresholdOption, trimThreshold) == 1;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return false;
        }
    }

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int mallopt(int parameter, int value);
}
