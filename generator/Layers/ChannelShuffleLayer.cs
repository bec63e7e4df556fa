using System.Collections.Generic;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>channel_shuffle(groups)</c>: interleaves the channels of <c>groups</c> groups (ShuffleNet): the channels
/// seen as groups x (C / groups), transposed, flattened back. torch's channel_shuffle, the same permutation
/// torchvision's shufflenetv2.channel_shuffle computes with view and transpose. No parameters.
/// </summary>
public sealed class ChannelShuffleLayer : LayerKind
{
    public override string Name => "channel_shuffle";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Required("groups", ArgumentType.Count, "g"),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        if (!input.IsMap) return context.WrongRank("a feature map (C x H x W)");
        var groups = context.Args["groups"];
        if (groups.IsDynamic) return context.BadArgument("groups", "must be fixed at compile time; it cannot depend on a model argument");
        if (input.Channels.Int % groups.Int != 0)
        {
            context.Report(DiagnosticCatalog.ChannelMismatch, context.Args.SpanOf("groups", context.Span), context.Describe, Name, input,
                $"groups={groups.Int} does not divide {input.Channels.Int} channels");
            return null;
        }
        return new LayerResult(input, 0, 0, new ForwardOp($"Forward.ChannelShuffle({{0}}, {groups.Int})")) { Detail = $"g={groups.Int}", Operation = new ChannelShuffleOp(groups.Int) };
    }
}

/// <summary>ShuffleNet's channel shuffle: channels as [Groups, C / Groups], transposed.</summary>
public sealed record ChannelShuffleOp(long Groups) : Operation
{
    public override string Kind => "channel_shuffle";
}
