using System;
using System.Collections.Generic;
using System.Linq;

namespace CnnGen.Generator.Layers;

/// <summary>Every layer kind of the DSL, found by name or alias.</summary>
public static class LayerCatalog
{
    public static IReadOnlyList<LayerKind> All { get; } = new LayerKind[]
    {
        new ConvLayer(),
        new DepthwiseConvLayer(),
        new BatchNormLayer(),
        new LinearLayer(),
        ActivationLayer.Relu,
        ActivationLayer.Relu6,
        ActivationLayer.Tanh,
        ActivationLayer.Sigmoid,
        ActivationLayer.Silu,
        ActivationLayer.Gelu,
        ActivationLayer.Hardswish,
        ActivationLayer.Hardsigmoid,
        new LeakyReluLayer(),
        new LayerNormLayer(),
        new PermuteLayer(),
        new StochasticDepthLayer(),
        new LayerScaleLayer(),
        new ChannelShuffleLayer(),
        new MaxPoolLayer(),
        new AvgPoolLayer(),
        new GlobalAvgPoolLayer(),
        new AdaptiveAvgPoolLayer(),
        new DropoutLayer(),
        new FlattenLayer(),
        new LocalResponseNormLayer(),
        new ScaleLayer(),
        new UpsampleLayer(),
        new ConvTransposeLayer(),
        new CropLayer(),
        new PadLayer(),
        new SubsampleLayer(),
        new TableConvLayer(),
        new DflLayer(),
    };

    private static readonly Dictionary<string, LayerKind> ByName =
        All.SelectMany(kind => new[] { kind.Name }.Concat(kind.Aliases).Select(name => (name, kind)))
           .ToDictionary(pair => pair.name, pair => pair.kind, StringComparer.Ordinal);

    public static LayerKind? Find(string name) => ByName.TryGetValue(name, out var kind) ? kind : null;

    public static IEnumerable<string> Names => ByName.Keys;
}
