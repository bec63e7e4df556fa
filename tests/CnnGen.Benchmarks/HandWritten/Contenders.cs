using CnnGen.Architectures;
using CnnGen.Runtime.Weights;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Benchmarks.HandWritten;

/// <summary>
/// One network three ways with the same weights: the generated class (eval mode), its inference form
/// (<c>ToInference()</c>: batch norm folded, channels-last) and, for the networks of <see cref="Names"/>, the
/// hand-written TorchSharp module in torchvision's layout. The weights are the generated network's, saved to safetensors and loaded into
/// the other two by name (strictly: every key and shape must match).
/// </summary>
public sealed class Contenders : IDisposable
{
    /// <summary>The networks that have a hand-written equivalent, with their input size.</summary>
    public static readonly IReadOnlyList<string> Names = ["ResNet50", "InceptionV3", "DenseNet121", "MobileNetV2"];

    /// <summary>The networks the performance sample measures: those above, and networks after 2018 without a hand-written twin.</summary>
    public static readonly IReadOnlyList<string> Measured = [.. Names, "EfficientNetB0", "ConvNeXtTiny"];

    public string Name { get; }
    public long[] SampleShape { get; }
    /// <summary>Null for the networks outside <see cref="Names"/>.</summary>
    public nn.Module<Tensor, Tensor>? HandWritten { get; }
    public nn.Module<Tensor, Tensor> Generated { get; }
    public nn.Module<Tensor, Tensor> Inference { get; }

    private Contenders(string name, long[] sampleShape, Func<nn.Module<Tensor, Tensor>> generated, Func<nn.Module<Tensor, Tensor>>? handWritten,
        Action<nn.Module<Tensor, Tensor>> toInference, Action<nn.Module<Tensor, Tensor>, long[]>? prepare)
    {
        Name = name;
        SampleShape = sampleShape;
        Generated = generated();
        prepare?.Invoke(Generated, sampleShape);
        Inference = generated();
        HandWritten = handWritten?.Invoke();
        var weights = Path.Combine(Path.GetTempPath(), $"cnngen-contenders-{name}-{Environment.ProcessId}.safetensors");
        try
        {
            Generated.SaveSafetensors(weights);
            Inference.LoadSafetensors(weights);
            HandWritten?.LoadSafetensors(weights);
        }
        finally
        {
            File.Delete(weights);
        }
        Generated.eval();
        HandWritten?.eval();
        toInference(Inference);
    }

    /// <summary>
    /// Builds the three for <paramref name="name"/> (one of <see cref="Measured"/>) with fresh random weights;
    /// <paramref name="prepare"/> may change the generated network's state (say, batch-norm statistics)
    /// before it is copied into the other two; it gets the network and its sample shape.
    /// </summary>
    public static Contenders Create(string name, Action<nn.Module<Tensor, Tensor>, long[]>? prepare = null) => name switch
    {
        "ResNet50" => new(name, ResNet50.InputShape, () => new ResNet50(), () => new HandWrittenResNet50(), m => ((ResNet50)m).ToInference(), prepare),
        "InceptionV3" => new(name, InceptionV3.InputShape, () => new InceptionV3(), () => new HandWrittenInceptionV3(), m => ((InceptionV3)m).ToInference(), prepare),
        "DenseNet121" => new(name, DenseNet121.InputShape, () => new DenseNet121(), () => new HandWrittenDenseNet121(), m => ((DenseNet121)m).ToInference(), prepare),
        "MobileNetV2" => new(name, MobileNetV2.InputShape, () => new MobileNetV2(), () => new HandWrittenMobileNetV2(), m => ((MobileNetV2)m).ToInference(), prepare),
        "EfficientNetB0" => new(name, EfficientNetB0.InputShape, () => new EfficientNetB0(), null, m => ((EfficientNetB0)m).ToInference(), prepare),
        "ConvNeXtTiny" => new(name, ConvNeXtTiny.InputShape, () => new ConvNeXtTiny(), null, m => ((ConvNeXtTiny)m).ToInference(), prepare),
        _ => throw new ArgumentException($"{name} is not measured; the networks compared are {string.Join(", ", Measured)}.", nameof(name)),
    };

    /// <summary>A random input batch of this network's sample shape.</summary>
    public Tensor Input(int batch) => randn([batch, .. SampleShape]);

    public void Dispose()
    {
        HandWritten?.Dispose();
        Generated.Dispose();
        Inference.Dispose();
    }
}
