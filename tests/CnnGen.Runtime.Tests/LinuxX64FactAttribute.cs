using System.Runtime.InteropServices;

namespace CnnGen.Runtime.Tests;

/// <summary>
/// A fact about the TorchSharp native fix, which exists for Linux (TorchSharp-cpu ships its library for linux-x64
/// only): elsewhere it reports Skipped, saying why, instead of passing without checking anything.
/// </summary>
public sealed class LinuxX64FactAttribute : FactAttribute
{
    /// <summary>True for a fact that holds on Linux on any architecture.</summary>
    public bool AnyArchitecture
    {
        get => _anyArchitecture;
        init
        {
            _anyArchitecture = value;
            Skip = Reason();
        }
    }

    private readonly bool _anyArchitecture;

    public LinuxX64FactAttribute() => Skip = Reason();

    private string? Reason() =>
        !OperatingSystem.IsLinux() ? "the TorchSharp native fix is Linux-only"
        : !_anyArchitecture && RuntimeInformation.ProcessArchitecture != Architecture.X64 ? "TorchSharp-cpu ships its native library for linux-x64 only"
        : null;
}
