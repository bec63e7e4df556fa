using System.Runtime.Intrinsics.X86;

namespace CnnGen.Runtime;

/// <summary>
/// Whether the inference form may convolve channels-last on this machine.
/// </summary>
/// <remarks>
/// Measured with TorchSharp 0.107 (libtorch 2.10) on a 2-core AMD EPYC (family 26) virtual machine whose CPUID
/// describes no cache (leaf 0x8000001D returns zeros; Linux shows no
/// /sys/devices/system/cpu/cpu0/cache, PyTorch's cpuinfo reports L1d = L2 = 0): oneDNN then takes every
/// per-core cache to be 1 byte, and its channels-last (brgemm) 1x1 convolutions, planned for those caches,
/// compute wrong outputs for some shapes (960 -> 320 and 320 -> 1280 channels at 7x7: errors of 2 on outputs
/// of about 6) and divide an integer by zero for others (ResNet-50's 256 -> 1024 at 56x56: SIGFPE, the
/// process dies). The same convolutions in NCHW are right there, and the channels-last ones are right once
/// oneDNN's cache sizes are set to real values (48 KiB / 1 MiB / 32 MiB). So where the CPU describes no
/// cache, the inference form keeps NCHW (batch norms are still folded). CNNGEN_CHANNELS_LAST=1 or 0
/// overrides the check.
/// </remarks>
public static partial class Inference
{
    /// <summary>
    /// True where <c>ToInference()</c> stores convolution weights and the input channels-last; false where
    /// the CPU describes no cache (see <see cref="ChannelsLastReason"/>), since oneDNN's channels-last
    /// convolutions are then wrong or crash. Decided once per process.
    /// </summary>
    public static bool ChannelsLastConvolutions { get; } = DecideChannelsLast(out channelsLastReason);

    private static readonly string channelsLastReason;

    /// <summary>Why <see cref="ChannelsLastConvolutions"/> has its value, in one sentence.</summary>
    public static string ChannelsLastReason => channelsLastReason;

    private static bool DecideChannelsLast(out string reason)
    {
        switch (System.Environment.GetEnvironmentVariable("CNNGEN_CHANNELS_LAST"))
        {
            case "1":
                reason = "CNNGEN_CHANNELS_LAST=1 asks for channels-last convolutions.";
                return true;
            case "0":
                reason = "CNNGEN_CHANNELS_LAST=0 asks for NCHW convolutions.";
                return false;
        }
        if (CpuDescribesNoCache(out var leaf))
        {
            reason = $"The CPU describes no cache (CPUID leaf {leaf} is empty, as on some virtual machines); oneDNN's channels-last "
                + "convolutions are then planned for 1-byte caches, give wrong outputs for some shapes and crash for others.";
            return false;
        }
        reason = "The CPU describes its caches, which oneDNN's channels-last convolutions are planned for.";
        return true;
    }

    /// <summary>
    /// True when this is an x86 CPU whose cache-description leaf (4 on Intel, 0x8000001D on AMD, where oneDNN
    /// reads its cache sizes) has no entry: its first sub-leaf has cache type 0 ("no more caches").
    /// </summary>
    internal static bool CpuDescribesNoCache(out string leaf)
    {
        leaf = "";
        if (!X86Base.IsSupported) return false;
        var (maxBasic, vendorB, vendorC, vendorD) = X86Base.CpuId(0, 0);
        var intel = (vendorB, vendorD, vendorC) == (0x756E6547, 0x49656E69, 0x6C65746E); // "GenuineIntel"
        var amd = (vendorB, vendorD, vendorC) == (0x68747541, 0x69746E65, 0x444D4163);   // "AuthenticAMD"
        if (amd)
        {
            // oneDNN reads this leaf whether or not the topoext flag is set (on the machine measured CPUID
            // cleared the flag that Linux showed, and oneDNN still took 1-byte caches from the leaf).
            var maxExtended = (uint)X86Base.CpuId(unchecked((int)0x80000000), 0).Eax;
            if (maxExtended < 0x8000001D) return false;
            leaf = "0x8000001D";
            return (X86Base.CpuId(unchecked((int)0x8000001D), 0).Eax & 0x1F) == 0;
        }
        if (intel && maxBasic >= 4)
        {
            leaf = "4";
            return (X86Base.CpuId(4, 0).Eax & 0x1F) == 0;
        }
        return false;
    }
}
