namespace CnnGen.Generator.Emit;

/// <summary>
/// <c>ExportOnnx(path, fixedSize)</c> and <c>ExportOnnx(stream, fixedSize)</c>: the network with its current weights as an ONNX model, written
/// by the runtime's <c>OnnxExport</c> from the class's graph (see <see cref="GraphTextEmitter"/>).
/// </summary>
internal static class ExportEmitter
{
    public static void Write(SourceWriter writer)
    {
        writer.Line("bool IGeneratedNetwork.InInferenceForm => _inference;");
        writer.Line();
        writer.Line("/// <summary>");
        writer.Line("/// Writes this network with its current weights as an ONNX model for ONNX Runtime (opset 17, eval semantics: batch");
        writer.Line("/// norms folded into their convolutions, dropout and aux heads gone; input 'input' [batch, C, H, W], output 'output').");
        writer.Line("/// The file is written through a temporary file beside it, so nothing is left half-written.");
        writer.Line("/// </summary>");
        writer.Line("/// <param name=\"path\">The .onnx file to write.</param>");
        writer.Line("/// <param name=\"fixedSize\">Height and width fixed at the declared input size, as torch.onnx.export writes them, where they are");
        writer.Line("/// otherwise dynamic: ONNX Runtime then shares buffers it cannot prove equal-sized otherwise (ResNet-50 runs about 5% faster;");
        writer.Line("/// docs/performance.md, ONNX Runtime). The batch stays dynamic.</param>");
        writer.Line("/// <exception cref=\"System.InvalidOperationException\">The network is in its inference form (export it before <c>ToInference</c>).</exception>");
        writer.Line("/// <exception cref=\"System.NotSupportedException\">It has a layer with no ONNX form (a layer written in C#); nothing is written.</exception>");
        writer.Line("public void ExportOnnx(string path, bool fixedSize = false) => CnnGen.Runtime.Onnx.OnnxExport.Write(this, path, fixedSize);");
        writer.Line();
        writer.Line("/// <summary>Writes this network with its current weights as an ONNX model to <paramref name=\"stream\"/> (see <see cref=\"ExportOnnx(string, bool)\"/>).</summary>");
        writer.Line("/// <param name=\"stream\">Where the model's bytes go.</param>");
        writer.Line("/// <param name=\"fixedSize\">Height and width fixed at the declared input size (see <see cref=\"ExportOnnx(string, bool)\"/>).</param>");
        writer.Line("public void ExportOnnx(System.IO.Stream stream, bool fixedSize = false) => CnnGen.Runtime.Onnx.OnnxExport.Write(this, stream, fixedSize);");
        writer.Line();
    }
}
