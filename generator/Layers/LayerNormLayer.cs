using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>layernorm(eps=1e-5, affine=true)</c>: layer norm over the channels. On a vector it is nn.LayerNorm over
/// the features; on a channels-last map (after <c>permute(0, 2, 3, 1)</c>) nn.LayerNorm over the last
/// dimension, as ConvNeXt's block has it; on a C x H x W map it normalises each pixel's channels, which is
/// torchvision's LayerNorm2d (ConvNeXt's stem, downsampling layers and head): permute, LayerNorm, permute back.
/// Parameters: weight and bias per channel.
/// </summary>
public sealed class LayerNormLayer : LayerKind
{
    public override string Name => "layernorm";

    public override IReadOnlyList<string> Aliases => new[] { "layer_norm", "ln" };

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Optional("eps", ArgumentType.Number, Value.Of(1e-5)),
        ParameterSpec.Optional("affine", ArgumentType.Bool, Value.Of(true), "elementwise_affine"),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        var eps = context.Args["eps"];
        if (eps.IsDynamic) return context.BadArgument("eps", "must be fixed at compile time; it cannot depend on a model argument");
        if (eps.AsDouble <= 0) return context.BadArgument("eps", "must be positive");
        var affine = context.Args.Bool("affine");
        var channels = input.Channels;
        return new LayerResult(input, affine ? checked(2 * channels.Int) : 0, 0,
            input.IsMap ? new ForwardOp("Forward.LayerNorm2d({m}, {0})") : ForwardOp.Module)
        {
            HasModule = true,
            Detail = input.IsMap ? "over channels (2d)" : "",
            Operation = new LayerNormOp(Dim.Of(channels), eps.AsDouble, affine, OverMapChannels: input.IsMap),
            Tensors = affine ? new[] { StateTensor.Parameter("weight", channels.Int), StateTensor.Parameter("bias", channels.Int) } : new StateTensor[0],
        };
    }
}

/// <summary>
/// Layer normalisation over the last dimension, or, when <c>OverMapChannels</c>, over the channels of each pixel of a
/// C x H x W map (ConvNeXt's LayerNorm2d).
/// </summary>
public sealed record LayerNormOp(Dim Channels, double Eps, bool Affine, bool OverMapChannels) : Operation
{
    public override string Kind => "layer_norm";
}
