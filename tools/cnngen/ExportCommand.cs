using CnnGen.Generator.Analysis;
using CnnGen.Generator.Emit;
using CnnGen.Generator.Model;
using CnnGen.Runtime;
using CnnGen.Runtime.Onnx;
using CnnGen.Runtime.Weights;
using CnnGen.Tool.PyTorch;

namespace CnnGen.Tool;

/// <summary>
/// <c>cnngen export net.cnn.yaml</c>, from the network's graph (the same the build writes into the class), without
/// building a project and without libtorch:
/// <list type="bullet">
/// <item><c>--onnx out.onnx --weights file.safetensors</c>: an ONNX model with a safetensors file's weights; every tensor
/// is checked against the graph's shapes before anything is written.</item>
/// <item><c>--pytorch out.py</c>: a PyTorch module (<see cref="PyTorchExport"/>) with the class's module tree, state-dict
/// names and model arguments; every class of the file unless <c>--class</c> names one.</item>
/// </list>
/// </summary>
public static class ExportCommand
{
    public const string Usage =
        "cnngen export <net.cnn.yaml> [--onnx <out.onnx> --weights <file.safetensors> [--fixed-size]] [--pytorch <out.py>] [--class Name] [--arg name=value]...";

    /// <summary>Exit code 0 when the files were written, 1 when the network or the weights cannot be exported, 2 for a usage error.</summary>
    public static int Run(IReadOnlyList<string> words, TextWriter output, TextWriter error)
    {
        string? onnx = null, weights = null, pytorch = null;
        var fixedSize = false;
        var rest = new List<string>();
        for (var i = 0; i < words.Count; i++)
        {
            if (words[i] == "--onnx" && i + 1 < words.Count) onnx = words[++i];
            else if (words[i] == "--weights" && i + 1 < words.Count) weights = words[++i];
            else if (words[i] == "--pytorch" && i + 1 < words.Count) pytorch = words[++i];
            else if (words[i] == "--fixed-size") fixedSize = true;
            else rest.Add(words[i]);
        }
        if (onnx is null && pytorch is null || (onnx is null) != (weights is null))
        {
            error.WriteLine((onnx is null && weights is null
                ? "cnngen export needs --onnx and --weights, or --pytorch"
                : "cnngen export needs --onnx and --weights together") + $"\nusage: {Usage}");
            return 2;
        }
        if (fixedSize && onnx is null)
        {
            error.WriteLine($"cnngen export: --fixed-size applies to --onnx\nusage: {Usage}");
            return 2;
        }
        if (onnx is not null)
        {
            var code = Onnx(rest, onnx, weights!, fixedSize, output, error);
            if (code != 0) return code;
        }
        return pytorch is null ? 0 : PyTorch(rest, pytorch, output, error);
    }

    private static int Onnx(List<string> rest, string onnx, string weights, bool fixedSize, TextWriter output, TextWriter error)
    {
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
            OnnxExport.WriteFile(OnnxExport.Build(graph, tensors, fixedSize), onnx);
        }
        catch (Exception e) when (e is NotSupportedException or InvalidOperationException or InvalidDataException or SafetensorsFormatException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"{request.NetworkPath}: cannot export {model.ClassName} with {weights}: {e.Message} Nothing was written.");
            return 1;
        }
        output.WriteLine($"{onnx}: {model.ClassName}, {analysed.Nodes.Count} graph nodes, weights from {weights} (ONNX opset {OnnxExport.Opset}{(fixedSize ? ", height and width fixed" : "")})");
        return 0;
    }

    /// <summary>
    /// The PyTorch module for the class asked for, or for every class of the file (variants share their block classes).
    /// Problems are printed as the compiler prints diagnostics (<c>file(line,col): error CNNPT02: ...</c>) and nothing is written.
    /// </summary>
    private static int PyTorch(List<string> rest, string target, TextWriter output, TextWriter error)
    {
        // The network file, --class and --arg read as 'weights check' reads them (the output file in the weights' place).
        var request = WeightsCheckRequest.Parse(rest.Append(target).ToList(), out var problem);
        if (request is null)
        {
            error.WriteLine($"{problem}\nusage: {Usage}");
            return 2;
        }
        if (!File.Exists(request.NetworkPath))
        {
            error.WriteLine($"{request.NetworkPath}: no such file");
            return 2;
        }
        var models = new List<NetworkModel>();
        if (request.ClassName is not null) models.Add(WeightsCheck.Analyse(request, error)!);
        else
        {
            // Every class of the file: the file's classes first, then each analysed with the arguments given.
            var all = CnnGen.Generator.CompileNetwork.Run(Path.GetFullPath(request.NetworkPath), File.ReadAllText(request.NetworkPath), "CnnGen.Networks",
                ProjectLayers.Find(request.NetworkPath));
            if (all.HasErrors || all.Models.Count == 0)
            {
                foreach (var found in all.Problems) error.WriteLine(Commands.Format(request.NetworkPath, found));
                error.WriteLine($"{request.NetworkPath}: the network has errors; fix them first (cnngen check). Nothing was written.");
                return 1;
            }
            foreach (var className in all.Models.Select(model => model.ClassName))
                models.Add(WeightsCheck.Analyse(request with { ClassName = className }, error)!);
        }
        if (models.Any(model => model?.Graph is null)) return 1;

        var module = PyTorchExport.Write(models.Select(model => model.Graph!).ToList(), Path.GetFileName(request.NetworkPath));
        if (module.Text is null)
        {
            foreach (var found in module.Problems)
                error.WriteLine(found.Span == SourceSpan.None
                    ? $"{request.NetworkPath}: error {found.Id}: {found.Message}"
                    : $"{request.NetworkPath}{found.Span}: error {found.Id}: {found.Message}");
            error.WriteLine($"{request.NetworkPath}: {module.Problems.Count} error(s); nothing was written.");
            return 1;
        }
        try
        {
            var full = Path.GetFullPath(target);
            var partial = Path.Combine(Path.GetDirectoryName(full)!, $".{Path.GetFileName(full)}.{Guid.NewGuid():N}.partial");
            try
            {
                File.WriteAllText(partial, module.Text);
                File.Move(partial, full, overwrite: true);
            }
            finally
            {
                if (File.Exists(partial)) File.Delete(partial);
            }
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"{target}: {e.Message}");
            return 1;
        }
        output.WriteLine($"{target}: {string.Join(", ", module.Classes)} as PyTorch modules ({module.Text.Split('\n').Length} lines)");
        return 0;
    }
}
