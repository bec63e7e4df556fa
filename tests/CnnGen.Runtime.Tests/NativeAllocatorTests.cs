using System.Runtime.InteropServices;
using CnnGen.Testing;

namespace CnnGen.Runtime.Tests;

/// <summary>
/// NativeAllocator changes glibc's malloc for the whole process and these tests read process-wide mapped
/// memory: they run alone (xunit runs a collection without parallelization after the parallel ones).
/// </summary>
[CollectionDefinition(nameof(NativeAllocatorCollection), DisableParallelization = true)]
public sealed class NativeAllocatorCollection
{
}

[Collection(nameof(NativeAllocatorCollection))]
public class NativeAllocatorTests
{
    [Fact]
    public void Once_asked_glibc_serves_blocks_below_32_MB_from_its_heap()
    {
        // A block of 31 MB: with glibc's defaults (an adaptive mmap threshold that starts at 128 KB and rises
        // only to the largest mapped block freed so far) it gets a mapping of its own, which is unmapped when
        // freed and faulted in afresh next time. Kept, it comes from the heap, where freed memory is reused.
        // (How much freed heap glibc keeps depends on the thread's arena: a test thread's arena deletes a
        // whole empty 64 MB heap whatever the trim threshold, so that part is measured by the forward test.)
        Assert.True(NativeAllocator.KeepFreedMemory(), "glibc did not accept the settings");
        // The control: a block above the largest threshold is always mapped on its own, so the measure must
        // see it (a measure that saw nothing would pass the check below whatever glibc did).
        var mappedBefore = ProcessMemory.NativeMapped();
        var large = Marshal.AllocHGlobal(40 << 20);
        var mappedLarge = ProcessMemory.NativeMapped() - mappedBefore;
        Marshal.FreeHGlobal(large);
        Assert.True(mappedLarge >= 40 << 20, $"a 40 MB block showed as {mappedLarge >> 20} MB mapped: the measure does not see glibc's mappings");

        mappedBefore = ProcessMemory.NativeMapped();
        var block = Marshal.AllocHGlobal(31 << 20);
        var mapped = ProcessMemory.NativeMapped() - mappedBefore;
        Marshal.FreeHGlobal(block);
        Assert.True(mapped < 31 << 20, $"glibc mapped {mapped >> 20} MB while a 31 MB block was allocated");
    }

    [Theory]
    [InlineData(0, NativeAllocator.LargestMmapThreshold)]
    [InlineData(1 << 30, 0)]
    [InlineData(1 << 30, NativeAllocator.LargestMmapThreshold + 1)]
    public void Out_of_range_thresholds_are_refused(int trimThreshold, int mmapThreshold)
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => NativeAllocator.KeepFreedMemory(trimThreshold, mmapThreshold));
    }
}
