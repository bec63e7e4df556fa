using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// <c>layer_scale(init=1e-6)</c>: multiplies each channel by a learned factor (CaiT's and ConvNeXt's layer
/// scale), initialised to <c>init</c>. The factor is a parameter of the enclosing block itself, not of a child
/// module, so its state-dict key is the entry's name in the block: ConvNeXt's <c>features.1.0.layer_scale</c>,
/// shape [C, 1, 1] on a feature map ([C] on a vector or a channels-last map). Parameters: C.
/// </summary>
public sealed class LayerScaleLayer : LayerKind
{
    public override string Name => "layer_scale";

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = new[]
    {
        ParameterSpec.Optional("init", ArgumentType.Number, Value.Of(1e-6)),
    };

    public override LayerResult? Analyze(LayerContext context)
    {
        var input = context.Input;
        var init = context.Args["init"];
        if (init.IsDynamic) return context.BadArgument("init", "must be fixed at compile time; it cannot depend on a model argument");
        var channels = input.Channels;
        // In place only when autograd records nothing: it needs the input for the factor's gradient.
        return new LayerResult(input, channels.Int, 0, new ForwardOp("{0}.mul({m})", Consuming: "Forward.MulConsuming({0}, {m})"))
        {
            HasModule = true,
            IsParameter = true,
            Detail = $"init={Value.FormatDouble(init.AsDouble)}",
            Operation = new LayerScaleOp(Dim.Of(channels), init.AsDouble),
            // The parameter is the entry itself: its key is the entry's path, with nothing after it.
            Tensors = new[] { input.IsMap ? StateTensor.Parameter("", channels.Int, 1, 1) : StateTensor.Parameter("", channels.Int) },
        };
    }
}

/// <summary>A learned per-channel factor (ConvNeXt's layer scale), initialised to <c>Init</c>.</summary>
public sealed record LayerScaleOp(Dim Channels, double Init) : Operation
{
    public override string Kind => "layer_scale";
}
