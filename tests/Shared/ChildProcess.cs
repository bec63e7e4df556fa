using System.Diagnostics;

namespace CnnGen.Tests.Shared;

/// <summary>Runs a child process (Debian's Python, the cnngen tool) to its end, killing it and what it started when it outlives its time.</summary>
internal static class ChildProcess
{
    /// <exception cref="TimeoutException">It ran longer than <paramref name="timeout"/> and was killed.</exception>
    public static (int Code, string Output, string Error) Run(string file, IEnumerable<string> arguments, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(file) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = Process.Start(start) ?? throw new InvalidOperationException($"cannot start {file}");
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEndAsync();
        if (!process.WaitForExit(timeout))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"{file} {string.Join(' ', start.ArgumentList)} did not finish in {timeout.TotalMinutes:F0} min and was killed");
        }
        process.WaitForExit();
        return (process.ExitCode, output.Result, error.Result);
    }
}
