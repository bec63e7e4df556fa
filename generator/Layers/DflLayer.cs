using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>dfl(reg_max=16, level2=b, level3=c, from=a)</c>: Ultralytics' DFL (distribution focal loss integral, Li et al.
/// 2020, "Generalized Focal Loss"), as its Detect head applies it to the box branch, <c>self.dfl(box)</c>. Each input
/// is a level's box map of 4 x reg_max channels; their pixels are the anchors, flattened and concatenated over the
/// levels in order (Ultralytics' <c>cat([xi.view(b, no, -1) for xi in x], 2)</c>). Per anchor and box side, a softmax
/// over the reg_max bins and its expectation, a fixed 1 x reg_max convolution whose weight is arange(reg_max): the
/// output is [4, anchors], the distances in bins. The weight is Ultralytics' <c>dfl.conv.weight</c> [1, reg_max, 1, 1],
/// counted as a parameter as Ultralytics counts it, never trained (requires_grad false).
/// </summary>
public sealed class DflLayer : LayerKind
{
    private static readonly string[] Levels = { "level2", "level3", "level4" };

    public override string Name => "dfl";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Optional("reg_max", ArgumentType.Count, Value.Of(16), "c1"),
        ParameterSpec.Optional("level2", ArgumentType.Output, Value.Of("")),
        ParameterSpec.Optional("level3", ArgumentType.Output, Value.Of("")),
        ParameterSpec.Optional("level4", ArgumentType.Output, Value.Of("")),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        if (!input.IsMap) return context.WrongRank("a feature map (4 x reg_max channels, C x H x W)");
        var args = context.Args;
        var regMax = args.Int("reg_max");
        if (regMax < 2) return context.BadArgument("reg_max", $"is {regMax}; the expectation needs at least two bins (Ultralytics uses 16)");
        var channels = 4 * regMax;
        if (input.Channels.Int != channels)
        {
            context.Report(DiagnosticCatalog.ChannelMismatch, context.Span, context.Describe, Name, input,
                $"a box map of 4 x reg_max = {channels} channels (4 sides x {regMax} bins)");
            return null;
        }
        var reads = new List<string>();
        long anchors = checked(input.Height * input.Width);
        for (var i = 0; i < Levels.Length; i++)
        {
            var level = Levels[i];
            if (!args.IsGiven(level)) continue;
            if (reads.Count != i) return context.BadArgument(level, $"follows a missing '{Levels[i - 1]}'; the levels are given in order");
            if (context.OutputShape(level) is not { } shape) return null;
            if (!shape.IsMap || shape.Channels.Int != channels)
                return context.BadArgument(level, $"names an output of shape {shape}; every level is a box map of {channels} channels (C x H x W)");
            anchors = checked(anchors + shape.Height * shape.Width);
            reads.Add(level);
        }
        var inputs = string.Join(", ", Enumerable.Range(0, reads.Count + 1).Select(i => $"{{{i}}}"));
        return new LayerResult(new Shape(new[] { Value.Of(4), Value.Of(anchors) }), regMax, checked(4 * anchors * regMax),
            new ForwardOp($"Forward.Dfl({{m}}, {inputs})"))
        {
            HasModule = true,
            Detail = $"{regMax} bins, {reads.Count + 1} level{(reads.Count == 0 ? "" : "s")}, {anchors} anchors",
            SizeRule = SpatialRule.Unknown,
            ReadsOutputs = reads,
            Operation = new DflOp(regMax),
            // nn.Conv2d(reg_max, 1, 1, bias=False) under 'conv', its weight arange(reg_max) and frozen.
            Tensors = new[] { StateTensor.Parameter("conv.weight", 1, regMax, 1, 1) },
        };
    }
}

/// <summary>
/// Ultralytics' DFL over all its inputs' pixels (anchors): [N, 4 x RegMax, A] viewed [N, 4, RegMax, A], softmax over the
/// bins, the expectation with the fixed weights arange(RegMax): [N, 4, A].
/// </summary>
public sealed record DflOp(long RegMax) : Operation
{
    public override string Kind => "dfl";
}
