using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>linear(out, bias=true)</c>: a fully connected layer on a flat vector, or on the channels of each pixel of a
/// channels-last map (after <c>permute(0, 2, 3, 1)</c>: ConvNeXt's pointwise layers, stored as [out, in] like any
/// nn.Linear). On a C x H x W map it is an error, since a missing flatten is the likelier mistake.
/// Parameters: in * out + out.
/// </summary>
public sealed class LinearLayer : LayerKind
{
    public override string Name => "linear";

    public override IReadOnlyList<string> Aliases => new[] { "fc", "dense" };

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("out", ArgumentType.Count, "out_features", "units"),
        ParameterSpec.Optional("bias", ArgumentType.Bool, Value.Of(true)),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        if (input.IsMap) return context.WrongRank("a flat vector");
        var inFeatures = input.Channels;
        var outFeatures = context.Args["out"];
        var bias = context.Args.Bool("bias");
        var weights = checked(inFeatures.Int * outFeatures.Int);
        var output = input.ChannelsLast ? Shape.Map(outFeatures, input.Height, input.Width) with { ChannelsLast = true } : Shape.Flat(outFeatures);
        var macs = input.ChannelsLast ? checked(weights * input.Height * input.Width) : weights;
        return new LayerResult(output, checked(weights + (bias ? outFeatures.Int : 0)), macs, ForwardOp.Module)
        {
            HasModule = true,
            Operation = new LinearOp(Dim.Of(inFeatures), Dim.Of(outFeatures), bias),
            // nn.Linear: weight [out, in], then bias [out].
            Tensors = bias
                ? new[] { StateTensor.Parameter("weight", outFeatures.Int, inFeatures.Int), StateTensor.Parameter("bias", outFeatures.Int) }
                : new[] { StateTensor.Parameter("weight", outFeatures.Int, inFeatures.Int) },
        };
    }
}

/// <summary>A fully connected layer over the last dimension (the features of a vector, the channels of a channels-last map).</summary>
public sealed record LinearOp(Dim In, Dim Out, bool Bias) : Operation
{
    public override string Kind => "linear";
}
