using System;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics.X86;

namespace CnnGen.Runtime;

/// <summary>
/// Whether the CPU describes its caches, and what CnnGen does for oneDNN where it does not.
/// </summary>
/// <remarks>
/// Measured with TorchSharp 0.107 (libtorch 2.10) on a 2-core AMD EPYC (family 26) virtual machine whose CPUID
/// describes no cache (leaves 4, 0xB and 0x8000001D return zeros; Linux shows no /sys/devices/system/cpu/cpu0/cache,
/// PyTorch's cpuinfo reports L1d = L2 = 0): oneDNN then takes every per-core cache to be 1 byte and plans its
/// convolutions for that. Its AVX-512 convolutions give wrong outputs for some shapes in either layout (NCHW:
/// 24 -> 24 and 24 -> 96 channels, 3x3 at 112x112, EfficientNet-V2-S's first stages, errors above 1 on outputs of
/// about 5; channels-last 1x1: 960 -> 320 and 320 -> 1280 at 7x7), and its channels-last (brgemm) 1x1 convolutions
/// divide an integer by zero for ResNet-50's shapes at AVX2 and AVX-512 alike (256 -> 1024 at 56x56: SIGFPE, the
/// process dies). With oneDNN's cache-size function patched in memory to 48 KiB / 1 MiB / 32 MiB all of them are
/// right and none crashes, so the cache description is the cause. Where the CPU describes no cache, CnnGen
/// therefore caps oneDNN at AVX2 (<c>ONEDNN_MAX_CPU_ISA</c>, unless the environment already sets it) when this
/// assembly is first used, and the inference form stays NCHW (<see cref="Inference.ChannelsLastConvolutions"/>).
/// </remarks>
public static class CpuCaches
{
    /// <summary>
    /// False on an x86 CPU whose cache-description leaf (4 on Intel, 0x8000001D on AMD, where oneDNN reads its
    /// cache sizes) has no entry, as on some virtual machines; true otherwise (and on other architectures).
    /// </summary>
    public static bool Described { get; } = !DescribesNoCache(out leaf);

    private static readonly string leaf;

    /// <summary>The CPUID leaf read ("4" or "0x8000001D"), or empty where none was.</summary>
    public static string Leaf => leaf;

    /// <summary>
    /// "AVX2" where CnnGen set <c>ONEDNN_MAX_CPU_ISA</c> because the CPU describes no cache; null where it left
    /// oneDNN alone (caches described, another platform, or the variable already set by the user).
    /// </summary>
    public static string? OneDnnIsaCap { get; private set; }

    private const string IsaVariable = "ONEDNN_MAX_CPU_ISA";

    /// <summary>
    /// Runs when this assembly is first used, before any generated network exists, so that oneDNN (which reads
    /// the variable once, at its first convolution) sees it. The variable goes into the C environment (setenv),
    /// where libtorch reads it; .NET's own copy is updated too.
    /// </summary>
#pragma warning disable CA2255 // A library's module initializer: the cap must precede oneDNN's first use, which may be any forward.
    [ModuleInitializer]
#pragma warning restore CA2255
    internal static void CapOneDnnWhereCachesAreUndescribed()
    {
        if (Described || !OperatingSystem.IsLinux()) return;
        if (Environment.GetEnvironmentVariable(IsaVariable) is not null || Environment.GetEnvironmentVariable("DNNL_MAX_CPU_ISA") is not null) return;
        try
        {
            if (setenv(IsaVariable, "AVX2", 0) != 0) return;
        }
        catch (Exception e) when (e is EntryPointNotFoundException or DllNotFoundException)
        {
            return;
        }
        Environment.SetEnvironmentVariable(IsaVariable, "AVX2");
        OneDnnIsaCap = "AVX2";
    }

    [DllImport("libc", EntryPoint = "setenv")]
    private static extern int setenv(string name, string value, int overwrite);

    private static bool DescribesNoCache(out string cpuidLeaf)
    {
        cpuidLeaf = "";
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
            cpuidLeaf = "0x8000001D";
            // Cache type 0 in the first sub-leaf: "no more caches", that is, none.
            return (X86Base.CpuId(unchecked((int)0x8000001D), 0).Eax & 0x1F) == 0;
        }
        if (intel && maxBasic >= 4)
        {
            cpuidLeaf = "4";
            return (X86Base.CpuId(4, 0).Eax & 0x1F) == 0;
        }
        return false;
    }
}
