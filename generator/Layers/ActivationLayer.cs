using System;
using System.Collections.Generic;
using CnnGen.Generator.Graph;

namespace CnnGen.Generator.Layers;

/// <summary>
/// Element-wise activations without arguments: <c>relu</c>, <c>relu6</c>, <c>tanh</c>, <c>sigmoid</c>, <c>silu</c>
/// (swish), <c>gelu</c>, <c>hardswish</c>, <c>hardsigmoid</c>. Each may run in place when its input is not needed
/// afterwards. They work on any shape, channels-last maps included. Marking the output as saved keeps any later
/// in-place step off it: relu, tanh and sigmoid (and, unchecked, gelu) have autograd keep their output; silu,
/// hardswish and hardsigmoid run in place keep a copy of the input instead (seen with PyTorch 1.13: an add_ on
/// sigmoid_'s output breaks the backward, on silu_'s, hardswish_'s and hardsigmoid_'s it does not), so a
/// residual add or stochastic depth after them may run in place too.
/// </summary>
public sealed class ActivationLayer : LayerKind
{
    private readonly string _name;
    private readonly ForwardOp _forward;

    private readonly string[] _aliases;

    private ActivationLayer(string name, ForwardOp forward, params string[] aliases)
    {
        _name = name;
        _forward = forward;
        _aliases = aliases;
    }

    public static ActivationLayer Relu { get; } = new("relu", new ForwardOp("functional.relu({0})", "{0}.relu_()", SavesOutput: true));

    public static ActivationLayer Relu6 { get; } = new("relu6", new ForwardOp("functional.relu6({0})", "Forward.Relu6_({0})", SavesOutput: true));

    public static ActivationLayer Tanh { get; } = new("tanh", new ForwardOp("{0}.tanh()", "{0}.tanh_()", SavesOutput: true));

    public static ActivationLayer Sigmoid { get; } = new("sigmoid", new ForwardOp("{0}.sigmoid()", "{0}.sigmoid_()", SavesOutput: true));

    /// <summary>x * sigmoid(x) (EfficientNet's activation; also called swish).</summary>
    public static ActivationLayer Silu { get; } = new("silu", new ForwardOp("{0}.silu()", "{0}.silu_()"), "swish");

    /// <summary>The exact GELU, x * Phi(x) (ConvNeXt; torchvision's nn.GELU() default, approximate='none').</summary>
    public static ActivationLayer Gelu { get; } = new("gelu", new ForwardOp("{0}.gelu()", "Forward.Gelu_({0})", SavesOutput: true));

    /// <summary>x * relu6(x + 3) / 6 (MobileNetV3).</summary>
    public static ActivationLayer Hardswish { get; } = new("hardswish", new ForwardOp("{0}.hardswish()", "{0}.hardswish_()"), "hswish");

    /// <summary>relu6(x + 3) / 6 (MobileNetV3's squeeze-and-excitation gate).</summary>
    public static ActivationLayer Hardsigmoid { get; } = new("hardsigmoid", new ForwardOp("{0}.hardsigmoid()", "{0}.hardsigmoid_()"), "hsigmoid");

    public override string Name => _name;

    public override IReadOnlyList<string> Aliases => _aliases;

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = Array.Empty<ParameterSpec>();

    public override LayerResult? Analyze(LayerContext context) => new(context.Input, 0, 0, _forward) { Operation = new ActivationOp(_name) };
}

/// <summary>An element-wise activation without arguments, by its DSL name: <c>relu</c>, <c>relu6</c>, <c>silu</c> ...</summary>
public sealed record ActivationOp(string Function) : Operation
{
    public override string Kind => "activation";
}
