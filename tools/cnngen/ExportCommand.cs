using CnnGen.Generator.Emit;
using CnnGen.Runtime;
using CnnGen.Runtime.Onnx;
using CnnGen.Runtime.Weights;

namespace CnnGen.Tool;

/// <summary>
/// <c>cnngen export net.cnn.yaml --onnx out.onnx --weights file.safetensors</c>: the network's graph (the same the
/// build writes into the class) with a safetensors file's weights as an ONNX model, without building a project and
/// without libtorch. Every tensor is checked against the graph's shapes before anything is written.
/// </summary>
public static class ExportCommand
{
    public const string Usage =
        "cnngen export <net.cnn.yaml> --onnx <out.onnx> --weights <file.safetensors> [--class Name] [--arg name=value]...";

    /// <summary>Exit code 0 when the file was written, 1 when the network or the weights cannot be exported, 2 for a usage error.</summary>
    public static int Run(IReadOnlyList<string> words, TextWriter output, TextWriter error)
    {
        string? onnx = null, weights = null;
        var rest = new List<string>();
        for (var i = 0; i < words.Count; i++)
        {
            if (words[i] == "--onnx" && i + 1 < words.Count) onnx = words[++i];
            else if (words[i] == "--weights" && i + 1 < words.Count) weights = words[++i];
            else rest.Add(words[i]);
        }
        if (onnx is null || weights is null)
        {
            error.WriteLine($"cnngen export needs --onnx and --weights\nusage: {Usage}");
            return 2;
        }
        // The network file, --class and --arg read as 'weights check' reads them.
        var request = WeightsCheckRequest.Parse(rest.Append(weights).ToList(), out var problem);
        if (request is null)
        {
            error.WriteLine($"{problem}\nusage: {Usage}");
            return 2;
        }
        foreach (var file in new[] { request.NetworkPath, weights })
            if (!File.Exists(file))
            {
                error.WriteLine($"{file}: no such file");
                return 2;
            }
        var model = WeightsCheck.Analyse(request, error);
        if (model?.Graph is not { } analysed) return 1;
        try
        {
            var graph = NetworkGraph.Parse(GraphTextEmitter.Text(analysed), null);
            using var tensors = new SafetensorsOnnxWeights(weights);
            OnnxExport.WriteFile(OnnxExport.Build(graph, tensors), onnx);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or InvalidDataException or SafetensorsFormatException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"{request.NetworkPath}: cannot export {model.ClassName} with {weights}: {e.Message} Nothing was written.");
            return 1;
        }
        output.WriteLine($"{onnx}: {model.ClassName}, {analysed.Nodes.Count} graph nodes, weights from {weights} (ONNX opset {OnnxExport.Opset})");
        return 0;
    }
}
