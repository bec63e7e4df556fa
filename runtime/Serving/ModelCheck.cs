using System.Collections.Generic;
using System.Globalization;
using System.IO;
using System.Linq;
using CnnGen.Runtime;
using CnnGen.Runtime.Onnx;
using Microsoft.ML.OnnxRuntime;

namespace CnnGen.Serving;

/// <summary>
/// Reads an opened ONNX model as the class it is opened as: the file must say it is that class (CnnGen's export
/// writes <see cref="OnnxExport.ClassKey"/>), take one float32 [N, C, H, W] input and give a float32 output. What
/// an input must look like comes from the class's compile-time facts (<see cref="INetworkFacts"/>), refined by the
/// file: a class's <c>InputShape</c> holds the default arguments, and the file knows the arguments it was exported
/// with (an <c>inChannels: 1</c> instance takes one channel).
/// </summary>
internal static class ModelCheck
{
    /// <summary>The input's and output's names and what an input must look like; throws <see cref="InvalidDataException"/> for a file that is not a <typeparamref name="TNetwork"/>.</summary>
    public static (ExpectedInput Expected, string InputName, string OutputName) Read<TNetwork>(InferenceSession session, bool requireCnnGenMetadata)
        where TNetwork : INetworkFacts
    {
        var network = typeof(TNetwork).Name;
        var metadata = session.ModelMetadata.CustomMetadataMap;
        if (metadata.TryGetValue(OnnxExport.ClassKey, out var fileClass))
        {
            if (fileClass != network)
                throw new InvalidDataException($"The ONNX model is a {fileClass} (its \"{OnnxExport.ClassKey}\" metadata), not a {network}: open it as OnnxNetwork<{fileClass}>.");
        }
        else if (requireCnnGenMetadata)
            throw new InvalidDataException(
                $"The ONNX model has no \"{OnnxExport.ClassKey}\" metadata: CnnGen did not export it, so nothing says it is a {network}. " +
                $"To serve it anyway, with inputs checked against {network}'s shape facts and the file's own input dimensions, pass requireCnnGenMetadata: false.");

        if (session.InputNames.Count != 1)
            throw new InvalidDataException($"The ONNX model has {session.InputNames.Count} inputs ({string.Join(", ", session.InputNames)}); a {network} takes one batch of images.");
        var inputName = session.InputNames[0];
        var input = session.InputMetadata[inputName];
        if (!input.IsTensor || input.ElementType != typeof(float) || input.Dimensions.Length != 4)
            throw new InvalidDataException($"The ONNX model's input \"{inputName}\" is not a float32 tensor of rank 4; a {network} takes a float32 batch [N, C, H, W].");
        var outputName = session.OutputNames[0];
        var output = session.OutputMetadata[outputName];
        if (!output.IsTensor || output.ElementType != typeof(float))
            throw new InvalidDataException($"The ONNX model's output \"{outputName}\" is not a float32 tensor, which a {network} gives.");

        var expected = Expected<TNetwork>(network, metadata, input.Dimensions);
        // ONNX Runtime insists on the file's fixed dimensions: a file that contradicts the class is refused now, not at the first request.
        var accepted = new[] { expected.Channels, expected.Height, expected.Width };
        for (var i = 1; i < 4; i++)
            if (input.Dimensions[i] > 0 && input.Dimensions[i] != accepted[i - 1])
                throw new InvalidDataException(
                    $"The ONNX model's input \"{inputName}\" has the dimensions [{string.Join(", ", input.Dimensions.Select(d => d > 0 ? d.ToString(CultureInfo.InvariantCulture) : "?"))}], but {network} expects {expected.Description}.");
        return (expected, inputName, outputName);
    }

    private static ExpectedInput Expected<TNetwork>(string network, IReadOnlyDictionary<string, string> metadata, int[] fileDimensions)
        where TNetwork : INetworkFacts
    {
        var exported = metadata.TryGetValue(OnnxExport.InputShapeKey, out var text) ? ParseShape(text) : null;
        var classShape = TNetwork.InputShape;
        // Channels, height, width: as exported, else the file's fixed dimension, else the class's default.
        long Declared(int i) => exported?[i] ?? (fileDimensions[i + 1] > 0 ? fileDimensions[i + 1] : classShape[i]);

        string? fixedSizeReason = null;
        if (TNetwork.FixedInputSize)
            fixedSizeReason = $"{network}'s flatten sees the raw feature map";
        else if (metadata.TryGetValue(OnnxExport.DynamicSpatialKey, out var dynamic) && dynamic == "false")
            fixedSizeReason = $"this ONNX file was exported for that size only: its \"{OnnxExport.DynamicSpatialKey}\" is false";
        else if (fileDimensions[2] > 0 || fileDimensions[3] > 0)
            fixedSizeReason = "this ONNX file's input has a fixed height and width";

        var minimum = TNetwork.MinimumInputShape;
        return new ExpectedInput(network, Declared(0), Declared(1), Declared(2), minimum[1], minimum[2], fixedSizeReason);
    }

    private static long[] ParseShape(string text)
    {
        var shape = text.Split(',')
            .Select(part => long.TryParse(part, NumberStyles.None, CultureInfo.InvariantCulture, out var dim) ? dim : 0)
            .ToArray();
        if (shape.Length != 3 || shape.Any(dim => dim < 1))
            throw new InvalidDataException($"The ONNX model's \"{OnnxExport.InputShapeKey}\" metadata is \"{text}\", not channels, height and width.");
        return shape;
    }
}
