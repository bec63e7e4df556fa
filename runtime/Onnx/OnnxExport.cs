using System;
using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using System.Security.Cryptography;
using System.Text;
using Google.Protobuf;
using Onnx;
using TorchSharp;

namespace CnnGen.Runtime.Onnx;

/// <summary>
/// Writes a generated network as an ONNX model (IR 8, opset 17) from its <see cref="NetworkGraph"/> and its current
/// weights, in eval semantics: batch norms that follow a convolution folded into it, dropout and stochastic depth
/// gone, aux heads left out. Input <c>input</c> [batch, C, H, W], output <c>output</c>; the batch is dynamic, and
/// height and width too when no layer needs the declared size, unless the caller fixes them (<c>fixedSize</c>). Every
/// map's shape is in the file's value_info, its height and width symbols that say how they follow the input's where
/// those vary (<see cref="OnnxMapShapes"/>), so ONNX Runtime can show a residual's two inputs alike and fuse the Add
/// into its convolution as it does for <c>torch.onnx.export</c>'s fixed-size file; a concat read only by another concat
/// is written into it, and dropout and stochastic depth write nothing. Metadata: <c>cnngen.class</c>,
/// <c>cnngen.parameters</c>, <c>cnngen.graph_sha256</c>. The model is built completely before the first byte is
/// written, so an operation the export cannot write or a missing tensor leaves no file behind.
/// </summary>
/// <remarks>
/// <para>
/// Height and width fixed (<c>fixedSize</c>) are what torch.onnx.export writes unless dynamic_axes names them; the batch
/// stays dynamic. ONNX Runtime optimizes a file with dynamic height and width to the same graph as the fixed-size file
/// (the same fused nodes, op for op), yet runs it a few percent slower at some networks and batches (ResNet-50 at batch 1:
/// 0.95x torch.onnx's file in every run, the fixed-size export 0.99x-1.0x; docs/performance.md, ONNX Runtime). The
/// likely cause: ONNX Runtime's allocation planner reuses a freed buffer, or runs an op in place, only between tensors
/// whose shapes it knows equal, by value or by the same symbol (SameShape in its allocation_planner.cc), and ONNX's shape
/// inference leaves a convolution's output height unknown when the input's is a symbol, so the maps of its NCHWc
/// layout, which it creates after reading the file's value_info, have no known size to share.
/// </para>
/// <para>
/// The protobuf is written by Google.Protobuf through OnnxSharp's classes, generated from the official onnx.proto:
/// the ONNX wire format is never written by hand here.
/// </para>
/// </remarks>
public static class OnnxExport
{
    public const int Opset = 17;
    public const long IrVersion = 8;

    /// <summary>Metadata keys of an exported model.</summary>
    public const string ClassKey = "cnngen.class", ParametersKey = "cnngen.parameters", GraphHashKey = "cnngen.graph_sha256",
        InputShapeKey = "cnngen.input_shape", DynamicSpatialKey = "cnngen.dynamic_spatial";

    /// <summary>
    /// Writes <paramref name="network"/> with its current weights to <paramref name="path"/> (through a temporary file
    /// beside it); <paramref name="fixedSize"/> fixes height and width at the declared input size (see the class remarks).
    /// </summary>
    public static void Write<TNetwork>(TNetwork network, string path, bool fixedSize = false) where TNetwork : torch.nn.Module, IGeneratedNetwork
    {
        ArgumentNullException.ThrowIfNull(path);
        WriteFile(Build(network, fixedSize), path);
    }

    /// <summary>Writes <paramref name="model"/> to <paramref name="path"/> through a temporary file beside it, so a reader never sees half a model.</summary>
    public static void WriteFile(ModelProto model, string path)
    {
        ArgumentNullException.ThrowIfNull(model);
        var full = Path.GetFullPath(path);
        var temporary = full + "." + Guid.NewGuid().ToString("N")[..8] + ".tmp";
        try
        {
            using (var file = File.Create(temporary)) model.WriteTo(file);
            File.Move(temporary, full, overwrite: true);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }

    /// <summary>Writes <paramref name="network"/> with its current weights to <paramref name="stream"/>; <paramref name="fixedSize"/> as in <see cref="Build(NetworkGraph, IOnnxWeights, bool)"/>.</summary>
    public static void Write<TNetwork>(TNetwork network, Stream stream, bool fixedSize = false) where TNetwork : torch.nn.Module, IGeneratedNetwork
    {
        ArgumentNullException.ThrowIfNull(stream);
        Build(network, fixedSize).WriteTo(stream);
    }

    /// <summary>The ONNX model of <paramref name="network"/> with its current weights; <paramref name="fixedSize"/> as in <see cref="Build(NetworkGraph, IOnnxWeights, bool)"/>.</summary>
    public static ModelProto Build<TNetwork>(TNetwork network, bool fixedSize = false) where TNetwork : torch.nn.Module, IGeneratedNetwork
    {
        ArgumentNullException.ThrowIfNull(network);
        if (network.InInferenceForm)
            throw new InvalidOperationException($"{network.GetType().Name} is in its inference form (ToInference), whose weights hold the batch norms already; export the network before ToInference (the export folds them itself). Nothing was written.");
        return Build(network.GetGraph(), new ModuleOnnxWeights(network), fixedSize);
    }

    /// <summary>
    /// The ONNX model of a graph with weights read by state-dict key; <paramref name="fixedSize"/> fixes height and width
    /// at the declared input size even where every layer allows others (see the class remarks).
    /// </summary>
    public static ModelProto Build(NetworkGraph graph, IOnnxWeights weights, bool fixedSize = false)
    {
        ArgumentNullException.ThrowIfNull(graph);
        ArgumentNullException.ThrowIfNull(weights);
        var nodes = graph.MainPath();
        var unknown = nodes.Where(node => !OnnxNodeWriter.Known.Contains(node.Op)).ToList();
        if (unknown.Count > 0)
            throw new NotSupportedException($"{graph.ClassName} cannot be exported to ONNX: " + string.Join("; ", unknown.Select(node => node.Op == "custom"
                ? $"'{node.Path}' is a layer written in C# ({node.Text("type_name")}), which has no ONNX form"
                : $"{node.Describe()} is an operation the ONNX export does not know")) + ". Nothing was written.");

        var onnx = new OnnxGraphBuilder();
        onnx.Graph.Name = graph.ClassName;
        var names = new Dictionary<int, string> { [NetworkGraph.InputValue] = onnx.Reserve("input") };
        // One output 'output', or one per name a network with several outputs gives them (docs/onnx.md).
        var returned = graph.Outputs.Count > 0
            ? graph.Outputs.Select(output => (output.Value, Name: onnx.Reserve(output.Name), output.Shape)).ToList()
            : new List<(int Value, string Name, IReadOnlyList<long> Shape)> { (graph.Output, onnx.Reserve("output"), graph.OutputShape) };
        var outputNames = returned.ToDictionary(output => output.Value, output => output.Name);
        var dynamic = !fixedSize && DynamicSpatial(graph, nodes);
        var writer = new OnnxNodeWriter(onnx, weights, graph, dynamic);
        var readers = Readers(graph, nodes);
        var folded = FoldedNorms(graph, nodes, readers);
        var inner = InnerConcats(graph, nodes, readers);
        // An inner concat's parts, written into the concat that reads it.
        var parts = new Dictionary<int, string[]>();
        foreach (var node in nodes)
        {
            if (folded.ContainsValue(node) || node.Op is "dropout" or "stochastic_depth")
            {
                // Folded into the convolution before it, or the identity in eval: the value is its input's.
                names[node.Output] = names[node.Inputs[0]];
                continue;
            }
            var inputs = node.Inputs.SelectMany(id => parts.TryGetValue(id, out var concatenated) ? concatenated : new[] { names[id] }).ToArray();
            if (inner.Contains(node))
            {
                parts[node.Output] = inputs;
                continue;
            }
            var norm = folded.TryGetValue(node, out var next) ? next : null;
            var result = outputNames.TryGetValue(norm?.Output ?? node.Output, out var outputName) ? outputName : "v" + node.Output.ToString(CultureInfo.InvariantCulture);
            names[node.Output] = result;
            writer.Write(node, inputs, result, norm);
        }
        foreach (var output in returned)
            if (output.Value == NetworkGraph.InputValue || names[output.Value] != output.Name)
                onnx.Node("Identity", output.Name, new[] { names[output.Value] }, output.Name);

        var input = graph.Input;
        var (height, width) = dynamic ? ((object?)"height", (object?)"width") : (input[1], input[2]);
        onnx.Graph.Input.Add(OnnxGraphBuilder.Value("input", new object?[] { "batch", input[0], height, width }));
        // A map's height and width follow the input's when it may vary: left unnamed, as ONNX Runtime infers them.
        foreach (var output in returned)
        {
            var outputDims = output.Shape.Select((dim, i) => dynamic && output.Shape.Count == 3 && i > 0 ? null : (object?)dim);
            onnx.Graph.Output.Add(OnnxGraphBuilder.Value(output.Name, new object?[] { "batch" }.Concat(outputDims)));
        }
        AddMapShapes(onnx, graph, nodes, names, dynamic);

        var model = new ModelProto
        {
            IrVersion = IrVersion,
            ProducerName = "CnnGen",
            ProducerVersion = typeof(OnnxExport).Assembly.GetName().Version?.ToString() ?? "0",
            DocString = $"{graph.ClassName}, exported by CnnGen from its graph in eval semantics (batch norms folded, dropout and aux heads gone).",
            Graph = onnx.Graph,
        };
        model.OpsetImport.Add(new OperatorSetIdProto { Domain = "", Version = Opset });
        void Meta(string key, string value) => model.MetadataProps.Add(new StringStringEntryProto { Key = key, Value = value });
        Meta(ClassKey, graph.ClassName);
        Meta(ParametersKey, weights.ParameterCount.ToString(CultureInfo.InvariantCulture));
        Meta(GraphHashKey, Convert.ToHexString(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join("\n", graph.Nodes)))).ToLowerInvariant());
        Meta(InputShapeKey, string.Join(",", input));
        Meta(DynamicSpatialKey, dynamic ? "true" : "false");
        return model;
    }

    /// <summary>How many nodes of <paramref name="nodes"/> read each value (the network's output counts as one more reader).</summary>
    private static Dictionary<int, int> Readers(NetworkGraph graph, IReadOnlyList<GraphNode> nodes)
    {
        var readers = graph.ReturnedValues.ToDictionary(value => value, _ => 1);
        foreach (var node in nodes)
            foreach (var input in node.Inputs)
                readers[input] = readers.TryGetValue(input, out var count) ? count + 1 : 1;
        return readers;
    }

    /// <summary>Each convolution whose only reader is a batch norm, with that norm: folded together, as torch.onnx.export does in eval mode.</summary>
    private static Dictionary<GraphNode, GraphNode> FoldedNorms(NetworkGraph graph, IReadOnlyList<GraphNode> nodes, Dictionary<int, int> readers)
    {
        var folded = new Dictionary<GraphNode, GraphNode>();
        foreach (var node in nodes)
            if (node.Op == "bn" && graph.Producer(node.Inputs[0]) is { Op: "conv" } conv && readers[conv.Output] == 1 && conv.Shape.Count == 3)
                folded[conv] = node;
        return folded;
    }

    /// <summary>
    /// Each concat whose only reader is another concat (Inception-v3's 3x3 pair inside its E blocks): its inputs go into
    /// that concat, one copy fewer, as torch.onnx.export (through TorchScript's passes) writes torchvision's same blocks.
    /// </summary>
    private static HashSet<GraphNode> InnerConcats(NetworkGraph graph, IReadOnlyList<GraphNode> nodes, Dictionary<int, int> readers)
    {
        var inner = new HashSet<GraphNode>();
        foreach (var node in nodes)
            if (node.Op == "concat")
                foreach (var input in node.Inputs)
                    if (graph.Producer(input) is { Op: "concat" } part && readers[part.Output] == 1)
                        inner.Add(part);
        return inner;
    }

    /// <summary>
    /// The shape of every map the file names (value_info): [batch, C, H, W], or [batch, H, W, C] for a channels-last one,
    /// with H and W numbers or, where they follow a dynamic input's, symbols that say how (<see cref="OnnxMapShapes"/>).
    /// ONNX Runtime proves two maps alike by these names where its own inference has lost the input's.
    /// </summary>
    private static void AddMapShapes(OnnxGraphBuilder onnx, NetworkGraph graph, IReadOnlyList<GraphNode> nodes, Dictionary<int, string> names, bool dynamic)
    {
        var extents = OnnxMapShapes.Extents(graph, nodes, dynamic);
        var written = new HashSet<string>(onnx.Graph.Output.Select(output => output.Name), StringComparer.Ordinal) { "input" };
        foreach (var node in nodes)
        {
            if (node.Shape.Count != 3 || !extents.TryGetValue(node.Output, out var extent) || !names.TryGetValue(node.Output, out var name) || !written.Add(name)) continue;
            object Dim(string size) => OnnxMapShapes.IsNumber(size) ? long.Parse(size, CultureInfo.InvariantCulture) : size;
            var channels = node.Shape[0];
            onnx.Graph.ValueInfo.Add(OnnxGraphBuilder.Value(name, node.ChannelsLast
                ? new object?[] { "batch", Dim(extent.H), Dim(extent.W), channels }
                : new object?[] { "batch", channels, Dim(extent.H), Dim(extent.W) }));
        }
    }

    /// <summary>
    /// Height and width may vary unless a layer needs the declared size: an adaptive pool to more than 1x1, a flatten
    /// of a map that is not already 1x1 whatever the input (the output of a 1x1 adaptive pool), or an upsample by a
    /// factor, whose output meets the maps it is joined with only at some sizes (YOLOv8's neck: multiples of 32), which
    /// the analysis checks at the declared size only.
    /// </summary>
    private static bool DynamicSpatial(NetworkGraph graph, IReadOnlyList<GraphNode> nodes) =>
        !nodes.Any(node => node.Op switch
        {
            "upsample" => true,
            "adaptive_avgpool" => node.Pair("size") != (1, 1),
            "flatten" => graph.Producer(node.Inputs[0]) is not { Op: "adaptive_avgpool" } pool ? InputRank(graph, node) == 3 : pool.Pair("size") != (1, 1),
            _ => false,
        });

    private static int InputRank(NetworkGraph graph, GraphNode node) => (graph.Producer(node.Inputs[0])?.Shape ?? graph.Input).Count;
}
