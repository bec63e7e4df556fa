using System.Diagnostics;

namespace CnnGen.Samples.Performance;

/// <summary>Runs tests/fixtures/pytorch_bench.py with Debian's PyTorch for the same batches and threads.</summary>
internal static class PyTorch
{
    public static void Compare(int[] batches)
    {
        var script = FindScript();
        if (script is null || !File.Exists("/usr/bin/python3"))
        {
            Console.WriteLine("PyTorch: not measured (needs /usr/bin/python3 with Debian's python3-torchvision and tests/fixtures/pytorch_bench.py)");
            return;
        }
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(string.Join(",", batches));
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEnd();
        var error = process.StandardError.ReadToEnd();
        process.WaitForExit();
        Console.WriteLine(process.ExitCode == 0 ? output.TrimEnd() : $"PyTorch run failed: {error}");
    }

    private static string? FindScript()
    {
        for (var folder = AppContext.BaseDirectory; folder is not null; folder = Path.GetDirectoryName(folder))
        {
            var candidate = Path.Combine(folder, "tests", "fixtures", "pytorch_bench.py");
            if (File.Exists(candidate)) return candidate;
        }
        return null;
    }
}
