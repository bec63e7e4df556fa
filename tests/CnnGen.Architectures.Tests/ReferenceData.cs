using System.Diagnostics;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// Reference weights, inputs and outputs written by Debian's torchvision
/// (tests/fixtures/torchvision/make_reference.py) into a cache folder at run time, so no large
/// binary is committed. The cache is <c>$CNNGEN_REFERENCE_CACHE</c>, or <c>~/.cache/cnngen/torchvision</c>;
/// a folder is reused while its <c>meta.json</c> exists.
/// </summary>
internal static class ReferenceData
{
    private static readonly object Gate = new();

    public static string CacheRoot =>
        Environment.GetEnvironmentVariable("CNNGEN_REFERENCE_CACHE") is { Length: > 0 } configured
            ? configured
            : Path.Combine(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache", "cnngen", "torchvision");

    /// <summary>The folder holding weights.safetensors, io.safetensors and meta.json for <paramref name="key"/>.</summary>
    public static string Get(string key, string variant = "default", params string[] extraArguments)
    {
        var folder = Path.Combine(CacheRoot, $"{key}-{variant}");
        lock (Gate)
        {
            if (File.Exists(Path.Combine(folder, "meta.json"))) return folder;
            Directory.CreateDirectory(folder);
            var script = Path.Combine(RepoRoot(), "tests", "fixtures", "torchvision", "make_reference.py");
            var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { script, key, folder }.Concat(extraArguments)) start.ArgumentList.Add(argument);
            using var process = Process.Start(start) ?? throw new InvalidOperationException("cannot start /usr/bin/python3");
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException(
                    $"make_reference.py {key} failed ({process.ExitCode}). It needs Debian's python3-torchvision " +
                    $"(apt-get install -y --no-install-recommends python3-torchvision; .ci/run installs it).\n{error}\n{output.Result}");
            return folder;
        }
    }

    private static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", ".."));
}
