using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// The shortcut of a residual: <c>identity</c> (the default), <c>projection</c> (1x1 conv + bn, as
/// torchvision's <c>downsample</c>), <c>auto</c> (a projection only where the shapes differ), optionally
/// named (<c>downsample = auto</c>), <c>identity_if_same</c> (the identity where the shapes agree, no shortcut elsewhere;
/// decided in RunResidual), or an explicit list/mapping of layers applied to the block input.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    private Flow? RunShortcut(YamlNodeSyntax? node, Flow input, Flow body, Group group, Scope scope)
    {
        if (node is null) return input;
        if (node is not YamlScalar scalar) return RunNode(node, input, group, scope);

        var text = scalar.Text.Trim();
        var name = "downsample";
        var equals = text.IndexOf('=');
        if (equals > 0)
        {
            name = text.Substring(0, equals).Trim();
            text = text.Substring(equals + 1).Trim();
            if (!Identifiers.IsName(name))
            {
                Report(DiagnosticCatalog.InvalidValue, scalar.Span, "shortcut", $"'{name}' is not a valid name for the projection");
                return null;
            }
        }
        switch (text)
        {
            case "identity" or "identity_if_same":
                return input;
            case "auto" when input.Shape is not null && body.Shape is not null && input.Shape.SameAs(body.Shape):
                return input;
            case "auto" or "projection":
                if (input.Shape is null || body.Shape is null) return new Flow(input.Var, null);
                return Project(scalar, name, input, body.Shape, group);
            default:
                Report(DiagnosticCatalog.InvalidValue, scalar.Span, "shortcut",
                    $"'{scalar.Text}' is not a shortcut; use identity, auto, projection, identity_if_same, 'name = auto', or a list of layers" +
                    Suggestions.DidYouMean(text, new[] { "identity", "auto", "projection", "identity_if_same" }));
                return null;
        }
    }

    /// <summary>A 1x1 convolution with the stride that maps the input's size onto the body's, then batch norm.</summary>
    private Flow? Project(YamlScalar site, string name, Flow input, Shape target, Group group)
    {
        var source = input.Shape!;
        if (!target.IsMap || !source.IsMap)
        {
            Report(DiagnosticCatalog.ResidualShapes, site.Span, group.Path.Length == 0 ? "the network" : $"'{group.Path}'", target, source,
                "; a projection shortcut works on feature maps only");
            return null;
        }
        var strideH = FindStride(source.Height, target.Height);
        var strideW = FindStride(source.Width, target.Width);
        if (strideH is null || strideW is null)
        {
            Report(DiagnosticCatalog.ResidualShapes, site.Span, group.Path.Length == 0 ? "the network" : $"'{group.Path}'", target, source,
                $"; no 1x1 convolution stride maps {source.Height}x{source.Width} onto {target.Height}x{target.Width}");
            return null;
        }

        var projection = group.AddGroup(name, site.Span);
        var conv = new BoundArguments();
        conv.Set("out", target.Channels, default);
        conv.Set("kernel", Value.Of(1), default);
        conv.Set("stride", strideH == strideW ? Value.Of(strideH.Value) : Value.Tuple(new[] { Value.Of(strideH.Value), Value.Of(strideW.Value) }), default);
        conv.Set("padding", Value.Of(0), default);
        conv.Set("dilation", Value.Of(1), default);
        conv.Set("groups", Value.Of(1), default);
        conv.Set("bias", Value.Of(false), default);
        var flow = AddLayer(LayerCatalog.Find("conv")!, conv, site, input, projection, projection.NextIndex());
        var bn = new BoundArguments();
        bn.Set("eps", Value.Of(1e-5), default);
        bn.Set("momentum", Value.Of(0.1), default);
        bn.Set("affine", Value.Of(true), default);
        return AddLayer(LayerCatalog.Find("bn")!, bn, site, flow, projection, projection.NextIndex());
    }

    private static long? FindStride(long from, long to)
    {
        for (long stride = 1; stride <= from; stride++)
            if ((from - 1) / stride + 1 == to) return stride;
        return null;
    }
}
