using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Text.Json;
using CnnGen.Architectures;
using CnnGen.Runtime.Weights;
using CnnGen.Samples.Training;
using CnnGen.Tool;
using static TorchSharp.torch;

namespace CnnGen.Samples.Distributed;

/// <summary>The files the run reads: the shipped digits, LeNet-5's YAML and the Python training script.</summary>
public sealed record SampleFiles(string Digits, string Yaml, string Script);

/// <summary>What one rank did, as train_ddp.py gathered it (all_gather_object over gloo).</summary>
public sealed record RankReport(int Rank, int Pid, string Host, int Shard, int Steps, int Images, string Weights);

/// <summary>One epoch on rank 0: the mean training loss over all ranks' batches, the test accuracy, the checkpoint.</summary>
public sealed record EpochReport(int Epoch, double Loss, int TestCorrect, double TestAccuracy, string Checkpoint, double Seconds);

/// <summary>The Python side's result.json.</summary>
public sealed record PythonResult(int WorldSize, string Backend, string Torch, int TrainCount, int TestCount,
    IReadOnlyList<EpochReport> Epochs, IReadOnlyList<RankReport> Ranks, string Checkpoint, int TestCorrect,
    IReadOnlyList<long> Predictions, double Seconds);

/// <summary>The run: Python's result, and the C# class's on the same test images from the last checkpoint.</summary>
public sealed record DistributedOutcome(PythonResult Python, int CSharpCorrect, int TestCount, int DifferingPredictions,
    double MaxLogitDifference, double MaxLogit, TimeSpan Elapsed)
{
    public double PythonAccuracy => (double)Python.TestCorrect / TestCount;

    public double CSharpAccuracy => (double)CSharpCorrect / TestCount;

    /// <summary>Every rank ended with the same weights (train_ddp.py's digest of each rank's state dict): DDP kept them in step.</summary>
    public bool ReplicasIdentical => Python.Ranks.Select(rank => rank.Weights).Distinct(StringComparer.Ordinal).Count() == 1;
}

/// <summary>Python (with torch and its gloo backend) is missing, or not the one given.</summary>
public sealed class TorchMissingException(string message) : Exception(message);

/// <summary>
/// samples/Distributed: PyTorch trains the exported LeNet-5 with DistributedDataParallel over several processes
/// (torchrun, gloo), and the generated C# class loads its checkpoint and gets the same test accuracy.
/// <list type="number">
/// <item>The Training sample's split of the UCI digits (<see cref="Digits.Split"/>: 360 test images, seed 0), preprocessed
/// as the C# samples do, is written to <c>digits.safetensors</c>: one definition of the data for both sides.</item>
/// <item>LeNet-5 is exported with the cnngen tool's own command (<c>cnngen export lenet5.cnn.yaml --pytorch lenet5.py
/// --class LeNet5 --arg num_classes=10</c>).</item>
/// <item>torchrun starts the processes (<c>python -m torch.distributed.run</c>, the module behind the <c>torchrun</c>
/// command, so the launcher and the workers are the Python given); train_ddp.py trains and rank 0 writes a checkpoint
/// per epoch, the last checkpoint's test logits and result.json.</item>
/// <item>The C# <see cref="LeNet5"/> loads the last checkpoint strictly by name and classifies the same test images.</item>
/// </list>
/// </summary>
public static class DistributedTraining
{
    public static readonly JsonSerializerOptions Json = new() { PropertyNamingPolicy = JsonNamingPolicy.SnakeCaseLower };

    /// <summary>Debian's Python (with python3-torch) where it exists, else whatever <c>python3</c> is on PATH.</summary>
    public static string DefaultPython => File.Exists("/usr/bin/python3") ? "/usr/bin/python3" : "python3";

    public static DistributedOutcome Run(SampleFiles files, string outputFolder, int epochs, int processes, string python,
        TextWriter log, TimeSpan? timeout = null)
    {
        var clock = Stopwatch.StartNew();
        Directory.CreateDirectory(outputFolder);
        var torch = CheckTorch(python);
        log.WriteLine($"{python}: torch {torch}, gloo available");

        var data = Digits.Load(files.Digits);
        var (train, test) = data.Split(testCount: 360, seed: 0);
        var digits = Path.Combine(outputFolder, "digits.safetensors");
        WriteDigits(train, test, digits);
        log.WriteLine($"UCI digits: {train.Labels.shape[0]} training and {test.Labels.shape[0]} test images (the Training sample's split), 32x32 -> {digits}");

        var module = Path.Combine(outputFolder, "lenet5.py");
        Export(files.Yaml, module, log);

        var arguments = TorchrunArguments(files.Script, digits, module, outputFolder, epochs, processes, FreePort());
        log.WriteLine($"{python} {string.Join(' ', arguments)}");
        var code = Launch(python, arguments, log, timeout ?? TimeSpan.FromMinutes(30));
        if (code != 0) throw new InvalidOperationException($"torchrun exited with {code}; its output is above (each rank's stdout also under {Path.Combine(outputFolder, "logs")})");

        var result = JsonSerializer.Deserialize<PythonResult>(File.ReadAllText(Path.Combine(outputFolder, "result.json")), Json)
            ?? throw new InvalidDataException("result.json is empty");
        using var scope = NewDisposeScope();
        using var logitsFile = SafetensorsFile.Open(Path.Combine(outputFolder, "test_logits.safetensors"));
        var pythonLogits = logitsFile.ReadTensor("logits");
        var (correct, logits) = Evaluate(result.Checkpoint, test);
        var differing = logits.argmax(1).ne(tensor(result.Predictions.ToArray())).sum().item<long>();
        return new DistributedOutcome(result, correct, (int)test.Labels.shape[0], (int)differing,
            (logits - pythonLogits).abs().max().item<float>(), pythonLogits.abs().max().item<float>(), clock.Elapsed);
    }

    /// <summary>
    /// The C# class from the checkpoint (strict: every tensor by name, none missing or left over) on the test images:
    /// how many it gets right, and its logits.
    /// </summary>
    public static (int Correct, Tensor Logits) Evaluate(string checkpoint, Digits test)
    {
        using var model = new LeNet5(numClasses: 10);
        model.LoadSafetensors(checkpoint);
        model.eval();
        using var noGrad = no_grad();
        var logits = model.forward(test.Images);
        return ((int)logits.argmax(1).eq(test.Labels).sum().item<long>(), logits.detach());
    }

    /// <summary>The images as the C# samples feed them (F32 [N,1,32,32]) and the labels (I64 [N]).</summary>
    public static void WriteDigits(Digits train, Digits test, string path) =>
        SafetensorsWriter.Write(path, new Dictionary<string, Tensor>
        {
            ["train_images"] = train.Images, ["train_labels"] = train.Labels,
            ["test_images"] = test.Images, ["test_labels"] = test.Labels,
        });

    /// <summary><c>cnngen export &lt;yaml&gt; --pytorch &lt;target&gt; --class LeNet5 --arg num_classes=10</c>, the tool's own code.</summary>
    public static void Export(string yaml, string target, TextWriter log)
    {
        var error = new StringWriter();
        if (ExportCommand.Run([yaml, "--pytorch", target, "--class", "LeNet5", "--arg", "num_classes=10"], log, error) != 0)
            throw new InvalidOperationException($"cnngen export {yaml} --pytorch failed:\n{error}");
    }

    /// <summary>
    /// <c>torchrun --standalone</c>'s single-node rendezvous, on a free port instead of its fixed 29400 (so two runs on
    /// one machine do not meet), and <c>--redirects 1 --tee 1</c>: every rank's stdout to the console with its rank
    /// as prefix and to <c>logs/</c>. Stating them is also what lets torch 1.13's torchrun run under Python 3.11
    /// (Debian 12): its default <c>0</c> parses to None there (an enum change in 3.11, fixed in PyTorch 2.0).
    /// </summary>
    public static List<string> TorchrunArguments(string script, string digits, string module, string outputFolder, int epochs, int processes, int port) =>
    [
        "-m", "torch.distributed.run",
        "--nnodes=1", $"--nproc_per_node={processes}",
        "--rdzv_backend=c10d", $"--rdzv_endpoint=localhost:{port}", $"--rdzv_id=cnngen-{Guid.NewGuid():N}",
        "--redirects", "1", "--tee", "1", "--log_dir", Path.Combine(outputFolder, "logs"),
        script, "--data", digits, "--model", module, "--out", outputFolder, "--epochs", epochs.ToString(System.Globalization.CultureInfo.InvariantCulture),
    ];

    /// <summary>torch's version, or <see cref="TorchMissingException"/> saying what to install.</summary>
    public static string CheckTorch(string python)
    {
        const string Help = "The Python side needs PyTorch with its gloo backend (torchrun comes with it): on Debian or Ubuntu "
            + "'sudo apt-get install python3-torch', elsewhere 'pip install torch'; pass that Python with --python.";
        try
        {
            var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
            foreach (var argument in new[] { "-c", "import torch, torch.distributed as d; print(torch.__version__, d.is_available() and d.is_gloo_available())" })
                start.ArgumentList.Add(argument);
            using var process = Process.Start(start)!;
            var output = process.StandardOutput.ReadToEndAsync();
            var error = process.StandardError.ReadToEnd();
            process.WaitForExit();
            var words = output.Result.Split(' ', StringSplitOptions.TrimEntries);
            if (process.ExitCode != 0)
                throw new TorchMissingException($"{python} cannot import torch ({error.Trim().Split('\n')[^1]}). {Help}");
            if (words is not [var version, "True"])
                throw new TorchMissingException($"{python} has torch {words[0]} without the gloo backend. {Help}");
            return version;
        }
        catch (System.ComponentModel.Win32Exception exception)
        {
            throw new TorchMissingException($"cannot run {python} ({exception.Message}). {Help}");
        }
    }

    /// <summary>
    /// Runs the launcher, its output passed on line by line with the seconds since the start; kills it and its workers
    /// when it outlives <paramref name="timeout"/>, after listing which of them were still running (the launcher
    /// waiting on its rendezvous, or a worker that did not exit, are different faults).
    /// </summary>
    private static int Launch(string python, IEnumerable<string> arguments, TextWriter log, TimeSpan timeout)
    {
        var start = new ProcessStartInfo(python) { RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var argument in arguments) start.ArgumentList.Add(argument);
        using var process = new Process { StartInfo = start };
        var clock = Stopwatch.StartNew();
        var gate = new object();
        void Write(string? line)
        {
            if (line is null) return;
            lock (gate) log.WriteLine($"[{clock.Elapsed.TotalSeconds,6:F1} s] {line}");
        }
        process.OutputDataReceived += (_, e) => Write(e.Data);
        process.ErrorDataReceived += (_, e) => Write(e.Data);
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        if (!process.WaitForExit(timeout))
        {
            var alive = ProcessTree.Describe(process.Id);
            process.Kill(entireProcessTree: true);
            process.WaitForExit();
            throw new TimeoutException($"torchrun did not finish in {timeout.TotalMinutes:F0} min and was killed; still running then:\n{alive}");
        }
        process.WaitForExit();
        return process.ExitCode;
    }

    private static int FreePort()
    {
        using var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
