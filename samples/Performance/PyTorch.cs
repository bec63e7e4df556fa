using System.Diagnostics;
using System.Globalization;

namespace CnnGen.Samples.Performance;

/// <summary>
/// Debian's PyTorch as a contender: tests/fixtures/pytorch_bench.py runs in a child process serving one
/// round at a time (torchvision's model eager and through torch.jit.optimize_for_inference, same batch,
/// 2 threads), so the sample measures its rounds between the TorchSharp ones and the machine's noise hits
/// every contender alike. The two processes never run at the same time: each waits for the other's answer.
/// </summary>
internal sealed class PyTorch : IDisposable
{
    /// <summary>The script's names for the networks the sample measures (torchvision's, and the keys of the reference weights).</summary>
    public static readonly IReadOnlyDictionary<string, string> TorchvisionName = new Dictionary<string, string>
    {
        ["ResNet50"] = "resnet50",
        ["InceptionV3"] = "inception_v3",
        ["DenseNet121"] = "densenet121",
        ["MobileNetV2"] = "mobilenet_v2",
        ["EfficientNetB0"] = "efficientnet_b0",
        ["ConvNeXtTiny"] = "convnext_tiny",
    };

    private readonly Process process;

    private PyTorch(Process process) => this.process = process;

    /// <summary>The server, or null (saying why) when Debian's PyTorch or the script is not there.</summary>
    public static PyTorch? Start()
    {
        var script = FindScript();
        if (script is null || !File.Exists("/usr/bin/python3"))
        {
            Console.WriteLine("PyTorch: not measured (needs /usr/bin/python3 with Debian's python3-torchvision and tests/fixtures/pytorch_bench.py)");
            return null;
        }
        var start = new ProcessStartInfo("/usr/bin/python3") { RedirectStandardInput = true, RedirectStandardOutput = true };
        start.ArgumentList.Add(script);
        start.ArgumentList.Add("--serve");
        var process = Process.Start(start)!;
        // The script says READY once torch and torchvision are imported; without them it ends (its error is above).
        if (process.StandardOutput.ReadLine() == "READY") return new PyTorch(process);
        process.WaitForExit();
        Console.WriteLine($"PyTorch: not measured (tests/fixtures/pytorch_bench.py ended with exit code {process.ExitCode} before it was ready)");
        process.Dispose();
        return null;
    }

    /// <summary>Builds and optimizes the network on PyTorch's side and runs each form once.</summary>
    public void Prepare(string network, int batch) => Ask($"PREPARE {TorchvisionName[network]} {batch}", "READY");

    /// <summary>One round: seconds per call, eager and optimized, each the mean of <paramref name="iterations"/> calls.</summary>
    public (double Eager, double Optimized) Round(string network, int batch, int iterations)
    {
        var fields = Ask($"ROUND {TorchvisionName[network]} {batch} {iterations}", "TIMES").Split(' ');
        return (double.Parse(fields[1], CultureInfo.InvariantCulture), double.Parse(fields[2], CultureInfo.InvariantCulture));
    }

    private string Ask(string request, string expected)
    {
        process.StandardInput.WriteLine(request);
        process.StandardInput.Flush();
        var answer = process.StandardOutput.ReadLine()
                     ?? throw new InvalidOperationException($"PyTorch's benchmark script ended without answering '{request}' (exit code {(process.WaitForExit(5000) ? process.ExitCode : -1)}; its error output is above)");
        if (!answer.StartsWith(expected, StringComparison.Ordinal))
            throw new InvalidOperationException($"PyTorch's benchmark script answered '{answer}' to '{request}'");
        return answer;
    }

    public void Dispose()
    {
        process.StandardInput.Close();
        if (!process.WaitForExit(10_000)) process.Kill();
        process.Dispose();
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
