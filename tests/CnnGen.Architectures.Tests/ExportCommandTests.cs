using CnnGen.Runtime.Weights;
using CnnGen.Tool;
using Microsoft.ML.OnnxRuntime;
using DenseTensor = Microsoft.ML.OnnxRuntime.Tensors.DenseTensor<float>;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// <c>cnngen export --onnx</c>: the YAML's graph with a safetensors file's weights, no project and no libtorch. ONNX
/// Runtime on the file gives torchvision's output; a file whose tensors do not fit writes nothing.
/// </summary>
public class ExportCommandTests
{
    private static (int Code, string Output, string Error) Export(params string[] words)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        var code = ExportCommand.Run(words, output, error);
        return (code, output.ToString(), error.ToString());
    }

    [Theory]
    [InlineData("resnet18.cnn.yaml", "resnet18", null, false)]
    [InlineData("resnet18.cnn.yaml", "resnet18", null, true)]
    [InlineData("densenet.cnn.yaml", "densenet121", "DenseNet121", false)]
    public void The_exported_file_gives_torchvisions_output_in_ONNX_Runtime(string file, string key, string? className, bool fixedSize)
    {
        var folder = ReferenceData.Get(key);
        var onnx = Path.Combine(Path.GetTempPath(), $"cnngen-export-{key}-{Guid.NewGuid():N}.onnx");
        try
        {
            var words = new List<string> { Path.Combine(AnalysedZoo.Folder, file), "--onnx", onnx, "--weights", Path.Combine(folder, "weights.safetensors") };
            if (className is not null) words.AddRange(["--class", className]);
            if (fixedSize) words.Add("--fixed-size");
            var (code, output, error) = Export([.. words]);
            Assert.True(code == 0, error);
            Assert.Contains("ONNX opset 17", output);
            using var io = SafetensorsFile.Open(Path.Combine(folder, "io.safetensors"));
            using var input = io.ReadTensor("input");
            using var expected = io.ReadTensor("output");
            using var session = new InferenceSession(onnx);
            // torch.onnx.export's default: the batch dynamic, height and width as declared; otherwise all three dynamic.
            Assert.Equal(fixedSize ? [-1, 3, 224, 224] : [-1, 3, -1, -1], session.InputMetadata["input"].Dimensions);
            using var results = session.Run([NamedOnnxValue.CreateFromTensor("input", new DenseTensor(input.data<float>().ToArray(), input.shape.Select(d => (int)d).ToArray()))]);
            var actual = results.Single().AsEnumerable<float>().ToArray();
            var reference = expected.data<float>().ToArray();
            var worst = reference.Zip(actual, (e, a) => Math.Abs(e - a)).Max();
            Assert.True(worst <= 1e-4 * reference.Max(Math.Abs), $"{key}: max|difference| {worst:G3}");
        }
        finally
        {
            File.Delete(onnx);
        }
    }

    [Fact]
    public void Weights_of_another_network_are_refused_and_nothing_is_written()
    {
        var folder = ReferenceData.Get("resnet18");
        var onnx = Path.Combine(Path.GetTempPath(), $"cnngen-export-refused-{Guid.NewGuid():N}.onnx");
        var (code, _, error) = Export(Path.Combine(AnalysedZoo.Folder, "resnet34.cnn.yaml"), "--onnx", onnx, "--weights", Path.Combine(folder, "weights.safetensors"));
        Assert.Equal(1, code);
        Assert.Contains("the weights have no tensor 'layer1.2.conv1.weight'", error);
        Assert.Contains("Nothing was written", error);
        Assert.False(File.Exists(onnx));
    }

    [Fact]
    public void A_tensor_of_another_shape_is_named_with_both_shapes()
    {
        var folder = ReferenceData.Get("resnet18");
        var onnx = Path.Combine(Path.GetTempPath(), $"cnngen-export-shape-{Guid.NewGuid():N}.onnx");
        var (code, _, error) = Export(Path.Combine(AnalysedZoo.Folder, "resnet18.cnn.yaml"), "--onnx", onnx, "--weights", Path.Combine(folder, "weights.safetensors"), "--arg", "num_classes=10");
        Assert.Equal(1, code);
        Assert.Contains("'fc.weight' is [1000, 512], but 'linear' node", error);
        Assert.Contains("needs [10, 512]", error);
        Assert.False(File.Exists(onnx));
    }

    [Fact]
    public void Missing_options_are_a_usage_error()
    {
        var (code, _, error) = Export(Path.Combine(AnalysedZoo.Folder, "resnet18.cnn.yaml"), "--onnx", "x.onnx");
        Assert.Equal(2, code);
        Assert.Contains("needs --onnx and --weights", error);
        (code, _, error) = Export(Path.Combine(AnalysedZoo.Folder, "resnet18.cnn.yaml"), "--pytorch", "x.py", "--fixed-size");
        Assert.Equal(2, code);
        Assert.Contains("--fixed-size applies to --onnx", error);
    }
}
