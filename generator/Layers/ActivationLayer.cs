using System;
using System.Collections.Generic;

namespace CnnGen.Generator.Layers;

/// <summary>
/// Element-wise activations without arguments: <c>relu</c>, <c>relu6</c>, <c>tanh</c>, <c>sigmoid</c>.
/// Each may run in place when its input is not needed afterwards; autograd keeps their output.
/// </summary>
public sealed class ActivationLayer : LayerKind
{
    private readonly string _name;
    private readonly ForwardOp _forward;

    private ActivationLayer(string name, ForwardOp forward)
    {
        _name = name;
        _forward = forward;
    }

    public static ActivationLayer Relu { get; } = new("relu", new ForwardOp("functional.relu({0})", "{0}.relu_()", SavesOutput: true));

    public static ActivationLayer Relu6 { get; } = new("relu6", new ForwardOp("functional.relu6({0})", "Forward.Relu6_({0})", SavesOutput: true));

    public static ActivationLayer Tanh { get; } = new("tanh", new ForwardOp("{0}.tanh()", "{0}.tanh_()", SavesOutput: true));

    public static ActivationLayer Sigmoid { get; } = new("sigmoid", new ForwardOp("{0}.sigmoid()", "{0}.sigmoid_()", SavesOutput: true));

    public override string Name => _name;

    public override IReadOnlyList<ParameterSpec> Parameters { get; } = Array.Empty<ParameterSpec>();

    public override LayerResult? Analyze(LayerContext context) => new(context.Input, 0, 0, _forward);
}
