using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// <c>gate: sub-network</c>: output = x * scale(x), where the sub-network computes a per-channel (or per-pixel)
/// scale from x: squeeze-and-excitation (SENet, EfficientNet, MobileNetV3, RegNetY). The sub-network's layers
/// become children of the enclosing group, as torchvision's SqueezeExcitation holds <c>fc1</c> and <c>fc2</c>.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    private Flow RunGate(YamlScalar key, YamlNodeSyntax node, Flow flow, Group group, Scope scope)
    {
        if (node is YamlScalar)
        {
            // 'gate: some_layer' read as a layer named 'gate' before gates existed; never change its meaning quietly.
            Report(DiagnosticCatalog.InvalidValue, key.Span, "gate",
                "is the gate keyword (x * scale(x)) and needs its scale sub-network as a mapping or a list, e.g. 'gate: [se(in)]'; to name a layer 'gate', write it inside a list or choose another name");
            return flow with { Shape = null };
        }
        var scale = RunNode(node, flow, group, scope);
        if (flow.Shape is null || scale.Shape is null) return new Flow(scale.Var, null);

        var (x, s) = (flow.Shape, scale.Shape);
        var fits = s.Rank == x.Rank && s.ChannelsLast == x.ChannelsLast && s.Channels.Int == x.Channels.Int
            && (!x.IsSpatial || (s.Height == 1 && s.Width == 1) || (s.Height == x.Height && s.Width == x.Width));
        if (!fits)
        {
            var hint = s.Channels.Int != x.Channels.Int && s.Rank == x.Rank
                ? $"; end the sub-network with {x.Channels.Int} channels (in a block, a parameter defaulting to 'in' holds the block's input channels)"
                : x.IsSpatial && !s.IsSpatial ? "; keep the scale a map: 'adaptive_avgpool(1)' instead of 'gap'" : "";
            Report(DiagnosticCatalog.GateShape, key.Span, Where(group), s, x, hint);
            return new Flow(scale.Var, null);
        }
        // torchvision's SqueezeExcitation returns scale * input: the same product, element by element.
        return Multiply(flow, scale, group.Path, $"{(group.Path.Length == 0 ? "gate" : group.Path)}: x * gate -> {x}", key.Span);
    }

    /// <summary>
    /// The step <c>x * scale</c> (a gate's, or a <c>mul(x, s)</c> join's). Autograd needs x for the scale's gradient,
    /// so x is overwritten only when nothing is recorded (no_grad, eval).
    /// </summary>
    private Flow Multiply(Flow x, Flow scale, string path, string comment, Model.SourceSpan site)
    {
        var output = NewVar();
        _model.Steps.Add(new ForwardStep(output, new[] { x.Var, scale.Var }, "{0}.mul({1})", null, comment)
        {
            ConsumingTemplate = "Forward.MulConsuming({0}, {1})",
            Path = path,
            OutputShape = x.Shape,
            Operation = new Graph.MulOp(),
            Site = site,
            Blocks = BlockFrames(),
        });
        return new Flow(output, x.Shape);
    }
}
