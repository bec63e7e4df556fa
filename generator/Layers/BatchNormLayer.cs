using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>bn(eps=1e-5, momentum=0.1, affine=true)</c>: batch norm over the incoming channels, BatchNorm2d
/// on a feature map and BatchNorm1d on a flat vector (after a linear layer).
/// Parameters: weight and bias per channel (running mean/var are buffers and are not counted).
/// </summary>
public sealed class BatchNormLayer : LayerKind
{
    /// <summary>PyTorch's defaults; the construction names eps and momentum only where they differ.</summary>
    public const double DefaultEps = 1e-5, DefaultMomentum = 0.1;

    public override string Name => "bn";

    public override IReadOnlyList<string> Aliases => new[] { "batchnorm", "batch_norm" };

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Optional("eps", ArgumentType.Number, Value.Of(DefaultEps)),
        ParameterSpec.Optional("momentum", ArgumentType.Number, Value.Of(DefaultMomentum)),
        ParameterSpec.Optional("affine", ArgumentType.Bool, Value.Of(true), "scale"),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        var args = context.Args;
        var eps = args.Number("eps");
        var momentum = args.Number("momentum");
        if (eps <= 0) return context.BadArgument("eps", "must be positive");
        if (momentum < 0 || momentum > 1) return context.BadArgument("momentum", "must be between 0 and 1");
        var affine = args.Bool("affine");
        var channels = input.Channels;

        return new LayerResult(input, affine ? checked(2 * channels.Int) : 0, 0, ForwardOp.Module)
        {
            HasModule = true,
            Operation = new BatchNormOp(Dim.Of(channels), Scalar.Of(args["eps"]), Scalar.Of(args["momentum"]), affine),
            Tensors = Tensors(channels.Int, affine),
        };
    }

    /// <summary>nn.BatchNorm: weight and bias [C] when affine, then the running statistics [C] and the batch counter.</summary>
    private static StateTensor[] Tensors(long channels, bool affine)
    {
        var statistics = new[] { StateTensor.Buffer("running_mean", channels), StateTensor.Buffer("running_var", channels), StateTensor.BatchCounter };
        return affine ? new[] { StateTensor.Parameter("weight", channels), StateTensor.Parameter("bias", channels) }.Concat(statistics).ToArray() : statistics;
    }
}

/// <summary>Batch normalisation over the channels of a map (BatchNorm2d) or the features of a vector (BatchNorm1d).</summary>
public sealed record BatchNormOp(Dim Channels, Scalar Eps, Scalar Momentum, bool Affine) : Operation
{
    public override string Kind => "bn";
}
