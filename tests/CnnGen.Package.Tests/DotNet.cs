using System.Diagnostics;
using System.Text;

namespace CnnGen.Package.Tests;

/// <summary>The output of one <c>dotnet</c> command: what it printed (stdout and stderr, in arrival order), its exit code and time.</summary>
public sealed record CommandResult(string Command, string WorkingDirectory, int ExitCode, string Output, TimeSpan Elapsed)
{
    public override string ToString() =>
        $"$ {Command}   (in {WorkingDirectory}; exit code {ExitCode}; {Elapsed.TotalSeconds:F1} s)\n{Output}";
}

/// <summary>
/// Runs the dotnet CLI the way a user's shell would: without the MSBuild settings that <c>dotnet test</c>
/// puts into the test host's environment, and with a time limit (a hung restore fails the test with
/// everything it printed instead of hanging the run).
/// </summary>
public static class DotNet
{
    private static readonly TimeSpan Limit = TimeSpan.FromMinutes(5);

    /// <summary>Variables the enclosing build or test run sets for its own MSBuild; a nested build must find its own.</summary>
    private static readonly string[] Inherited =
    [
        "MSBuildExtensionsPath", "MSBUILD_EXE_PATH", "MSBuildSDKsPath", "MSBuildLoadMicrosoftTargetsReadOnly",
        "MSBUILDNOINPROCNODE", "DOTNET_HOST_PATH",
    ];

    public static CommandResult Run(string workingDirectory, IReadOnlyDictionary<string, string?>? environment, params string[] arguments)
    {
        var start = new ProcessStartInfo("dotnet")
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        foreach (var name in Inherited) start.Environment.Remove(name);
        start.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        start.Environment["DOTNET_NOLOGO"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string?>())
        {
            if (value is null) start.Environment.Remove(name);
            else start.Environment[name] = value;
        }

        var command = "dotnet " + string.Join(' ', arguments.Select(a => a.Contains(' ') ? $"\"{a}\"" : a));
        var output = new StringBuilder();
        var clock = Stopwatch.StartNew();
        using var process = new Process { StartInfo = start };
        process.OutputDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.ErrorDataReceived += (_, e) => { if (e.Data is not null) lock (output) output.AppendLine(e.Data); };
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(Limit))
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            lock (output)
                throw new TimeoutException($"'{command}' in {workingDirectory} did not finish in {Limit.TotalMinutes} minutes; it printed:\n{output}");
        }
        process.WaitForExit(); // drains the asynchronous readers
        lock (output)
            return new CommandResult(command, workingDirectory, process.ExitCode, output.ToString(), clock.Elapsed);
    }
}
