using System.Diagnostics;
using System.Globalization;

namespace CnnGen.Samples.Performance;

/// <summary>
/// Runs tests/fixtures/pytorch_bench.py with Debian's PyTorch (torchvision's models, the same batches and
/// threads) and prints TorchSharp over PyTorch: generated / eager and inference form / optimize_for_inference.
/// </summary>
internal static class PyTorch
{
    /// <summary>The script's names for the networks the sample measures.</summary>
    private static readonly Dictionary<string, string> TorchvisionName = new()
    {
        ["ResNet50"] = "resnet50",
        ["InceptionV3"] = "inception_v3",
        ["DenseNet121"] = "densenet121",
        ["MobileNetV2"] = "mobilenet_v2",
    };

    public static void Compare(string[] networks, int[] batches, int rounds, List<(string Network, int Batch, double Hand, double Generated, double Inference)> results)
    {
        Console.WriteLine();
        var script = FindScript();
        if (script is null || !File.Exists("/usr/bin/python3"))
        {
            Console.WriteLine("PyTorch: not measured (needs /usr/bin/python3 with Debian's python3-torchvision and tests/fixtures/pytorch_bench.py)");
            return;
        }
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardOutput = true, RedirectStandardError = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add(string.Join(",", networks.Select(n => TorchvisionName[n])));
        start.ArgumentList.Add(string.Join(",", batches));
        start.ArgumentList.Add(rounds.ToString(CultureInfo.InvariantCulture));
        using var process = Process.Start(start)!;
        var error = process.StandardError.ReadToEndAsync();
        var lines = new List<string>();
        while (process.StandardOutput.ReadLine() is { } line)
        {
            lines.Add(line);
            if (!line.StartsWith("RESULT ", StringComparison.Ordinal)) Console.WriteLine(line);
        }
        process.WaitForExit();
        if (process.ExitCode != 0)
        {
            Console.WriteLine($"PyTorch run failed: {error.Result}");
            return;
        }

        // RESULT <torchvision name> <batch> <eager img/s> <optimize_for_inference img/s>
        var pytorch = lines.Where(l => l.StartsWith("RESULT ", StringComparison.Ordinal))
            .Select(l => l.Split(' '))
            .ToDictionary(f => (f[1], int.Parse(f[2], CultureInfo.InvariantCulture)),
                f => (Eager: double.Parse(f[3], CultureInfo.InvariantCulture), Optimized: double.Parse(f[4], CultureInfo.InvariantCulture)));
        Console.WriteLine();
        Console.WriteLine("TorchSharp over PyTorch (same batch, same threads)");
        Console.WriteLine($"{"network",-12} {"batch",5} {"eager",8} {"optimized",10} {"generated/eager",16} {"inference/eager",16} {"inference/optimized",20}");
        foreach (var r in results)
        {
            if (!pytorch.TryGetValue((TorchvisionName[r.Network], r.Batch), out var p)) continue;
            Console.WriteLine($"{r.Network,-12} {r.Batch,5} {p.Eager,6:F1}/s {p.Optimized,8:F1}/s {r.Generated / p.Eager,15:F2}x {r.Inference / p.Eager,15:F2}x {r.Inference / p.Optimized,19:F2}x");
        }
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
