namespace CnnGen.Runtime;

public static partial class Inference
{
    /// <summary>
    /// True where <c>ToInference()</c> stores convolution weights and the input channels-last; false where the CPU
    /// describes no cache (<see cref="CpuCaches.Described"/>), since oneDNN's channels-last 1x1 convolutions then
    /// crash the process (SIGFPE) for ResNet-50's shapes even when capped at AVX2. CNNGEN_CHANNELS_LAST=1 or 0
    /// overrides. Decided once per process.
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
        if (!CpuCaches.Described)
        {
            reason = $"The CPU describes no cache (CPUID leaf {CpuCaches.Leaf} is empty, as on some virtual machines); oneDNN's channels-last "
                + "convolutions are then planned for 1-byte caches, give wrong outputs for some shapes and crash for others.";
            return false;
        }
        reason = "The CPU describes its caches, which oneDNN's channels-last convolutions are planned for.";
        return true;
    }
}
