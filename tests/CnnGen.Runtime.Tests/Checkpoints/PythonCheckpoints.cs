using System.Text.Json;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests.Checkpoints;

/// <summary>
/// Checkpoints written by Debian's PyTorch (tests/fixtures/checkpoints/make_checkpoints.py) into a temporary
/// folder, once per test run, with the exact values of every tensor beside each one (<c>variant.json</c>).
/// </summary>
/// <remarks>
/// Without /usr/bin/python3 and its torch the tests using this fixture fail with a message saying what to
/// install; they never skip, so a CI machine without torch cannot pass them by accident.
/// </remarks>
public sealed class PythonCheckpoints : IDisposable
{
    private const string Python = "/usr/bin/python3";
    private static readonly TimeSpan Timeout = TimeSpan.FromMinutes(3);

    private readonly Lazy<string> _folder;

    public PythonCheckpoints()
    {
        _folder = new Lazy<string>(Write, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <summary>The folder holding the checkpoints; written on first use.</summary>
    public string Folder => _folder.Value;

    public string PathOf(string file) => Path.Combine(Folder, file);

    /// <summary>Every tensor the variant's state dict holds, by name: its dtype name, shape and values.</summary>
    public Dictionary<string, (string Dtype, long[] Shape, double[] Values)> Expected(string variant)
    {
        using var json = JsonDocument.Parse(File.ReadAllText(PathOf(variant + ".json")));
        var result = new Dictionary<string, (string, long[], double[])>();
        foreach (var tensor in json.RootElement.EnumerateObject())
            result[tensor.Name] = (
                tensor.Value.GetProperty("dtype").GetString()!,
                tensor.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                tensor.Value.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray());
        return result;
    }

    private static string Write()
    {
        var folder = Path.Combine(Path.GetTempPath(), "cnngen-checkpoints-" + Guid.NewGuid().ToString("N"));
        var script = Path.Combine(RepoRoot(), "tests", "fixtures", "checkpoints", "make_checkpoints.py");
        if (!File.Exists(Python))
            throw new InvalidOperationException(
                $"{Python} is missing: the checkpoint tests need Debian's python3-torch (apt-get install -y --no-install-recommends python3-torchvision).");
        var (code, output, error) = CnnGen.Tests.Shared.ChildProcess.Run(Python, new[] { script, folder }, Timeout);
        if (code != 0 || !File.Exists(Path.Combine(folder, "done")))
            throw new InvalidOperationException(
                $"make_checkpoints.py failed ({code}). It needs torch in {Python} (Debian's python3-torch: " +
                $"apt-get install -y --no-install-recommends python3-torchvision).\n{error}\n{output}");
        return folder;
    }

    internal static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "") =>
        Path.GetFullPath(Path.Combine(Path.GetDirectoryName(file)!, "..", "..", ".."));

    public void Dispose()
    {
        if (_folder.IsValueCreated)
            try { Directory.Delete(_folder.Value, recursive: true); } catch (IOException) { }
    }
}

[CollectionDefinition(Name)]
public sealed class PythonCheckpointsCollection : ICollectionFixture<PythonCheckpoints>
{
    public const string Name = "PyTorch-written checkpoints";
}

internal static class CheckpointAssert
{
    /// <summary>Every tensor of <paramref name="module"/> equals what Python wrote, exactly.</summary>
    public static void MatchesPython(nn.Module module, Dictionary<string, (string Dtype, long[] Shape, double[] Values)> expected)
    {
        var stateDict = module.state_dict();
        Assert.Equal(expected.Keys.OrderBy(k => k), stateDict.Keys.OrderBy(k => k));
        foreach (var (name, (_, shape, values)) in expected)
        {
            var actual = stateDict[name];
            Assert.Equal(shape, actual.shape);
            using var asDouble = actual.detach().to_type(ScalarType.Float64).contiguous().reshape(-1);
            var got = asDouble.data<double>().ToArray();
            Assert.True(values.SequenceEqual(got), $"{name}: values differ from what PyTorch wrote");
        }
    }
}
