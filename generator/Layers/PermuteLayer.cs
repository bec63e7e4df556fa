using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>permute(0, 2, 3, 1)</c> and <c>permute(0, 3, 1, 2)</c>: a feature map to channels-last and back (a view,
/// no copy), as torchvision's ConvNeXt block writes it, so that <c>linear</c> and <c>layernorm</c> act on the
/// channels of each pixel. Between the two, convolutions and pools refuse the map. No parameters.
/// </summary>
public sealed class PermuteLayer : LayerKind
{
    private static readonly long[] ToLast = { 0, 2, 3, 1 };
    private static readonly long[] ToFirst = { 0, 3, 1, 2 };

    public override string Name => "permute";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("d0", ArgumentType.Pair),
        ParameterSpec.Required("d1", ArgumentType.Pair),
        ParameterSpec.Required("d2", ArgumentType.Pair),
        ParameterSpec.Required("d3", ArgumentType.Pair),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        var order = new[] { "d0", "d1", "d2", "d3" }.Select(name => context.Args.Int(name)).ToArray();
        var toLast = order.SequenceEqual(ToLast);
        if (!toLast && !order.SequenceEqual(ToFirst))
            return context.BadArgument("d0", $"permute({string.Join(", ", order)}) is not one of the two layouts: permute(0, 2, 3, 1) to channels-last, permute(0, 3, 1, 2) back");
        if (!input.IsSpatial) return context.WrongRank("a feature map (C x H x W)");
        if (toLast == input.ChannelsLast)
            return context.BadArgument("d0", toLast ? "the map is already channels-last" : "the map is already C x H x W (channels first)");
        return new LayerResult(input with { ChannelsLast = toLast }, 0, 0, new ForwardOp($"{{0}}.permute({string.Join(", ", order)})", MayAlias: true))
        {
            Detail = toLast ? "to channels-last" : "to channels-first",
            Operation = new PermuteOp(toLast),
        };
    }
}

/// <summary>A channels-first map to channels-last (permute(0, 2, 3, 1)) or back (permute(0, 3, 1, 2)): a view.</summary>
public sealed record PermuteOp(bool ToChannelsLast) : Operation
{
    public override string Kind => "permute";
}
