using System.Text.Json;
using CnnGen.Runtime.Weights;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests.Safetensors;

/// <summary>
/// What SaveSafetensors writes is read back by another implementation of the format: the numpy reader of
/// tests/fixtures/torchvision/make_reference.py under Debian's Python, so a writer and reader that agree on a
/// mistake (a byte order, an offset, a dtype name) cannot pass by reading each other.
/// </summary>
public sealed class IndependentReaderTests : SafetensorsTestBase
{
    private const string Python = "/usr/bin/python3";

    [Fact]
    public void Pythons_reader_gives_every_saved_tensor_its_name_dtype_shape_and_values()
    {
        using var source = new TinyNet();
        source.Randomize(seed: 7);
        var path = PathFor("tiny.safetensors");
        source.SaveSafetensors(path);

        var read = ReadWithPython(path);
        var expected = source.state_dict();
        Assert.Equal(expected.Keys.Order(), read.Keys.Order());
        foreach (var (name, tensor) in expected)
        {
            var (dtype, shape, values) = read[name];
            // The batch counter is written I64 as PyTorch keeps it, whatever TorchSharp's BatchNorm holds it in.
            Assert.Equal(name.EndsWith("num_batches_tracked") ? "I64" : "F32", dtype);
            Assert.Equal(tensor.shape, shape);
            var mine = tensor.to_type(ScalarType.Float64).flatten().data<double>().ToArray();
            Assert.Equal(mine, values);
        }
    }

    private static Dictionary<string, (string Dtype, long[] Shape, double[] Values)> ReadWithPython(string path)
    {
        var scripts = Path.Combine(Checkpoints.PythonCheckpoints.RepoRoot(), "tests", "fixtures", "torchvision");
        const string Program = """
            import json, sys
            sys.path.insert(0, sys.argv[1])
            from make_reference import load_safetensors, read_safetensors_header
            header = read_safetensors_header(sys.argv[2])[0]
            tensors, _ = load_safetensors(sys.argv[2])
            print(json.dumps({name: {"dtype": header[name]["dtype"], "shape": list(t.shape), "values": t.double().flatten().tolist()}
                              for name, t in tensors.items()}))
            """;
        var (code, output, error) = CnnGen.Tests.Shared.ChildProcess.Run(Python, new[] { "-c", Program, scripts, path }, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, $"Python's reader failed (it needs Debian's python3-torchvision):\n{error}");
        using var json = JsonDocument.Parse(output);
        return json.RootElement.EnumerateObject().ToDictionary(
            tensor => tensor.Name,
            tensor => (tensor.Value.GetProperty("dtype").GetString()!,
                tensor.Value.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray(),
                tensor.Value.GetProperty("values").EnumerateArray().Select(v => v.GetDouble()).ToArray()));
    }
}
