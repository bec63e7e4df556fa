using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Layers;

/// <summary>
/// A layer written in C# and declared with <c>[CnnLayer]</c>: checked and counted from the attribute's
/// rules like a built-in layer, and built as <c>new TheType(inChannels, arguments...)</c> wrapped in
/// <c>CustomLayers.CheckParameterCount</c>, so the generated constructor verifies once that the
/// module's real parameter count is the declared one.
/// </summary>
public sealed class CustomLayer : LayerKind
{
    private readonly CustomLayerSpec _spec;
    private readonly CustomLayerDeclaration _declaration;

    public CustomLayer(CustomLayerSpec spec)
    {
        _spec = spec;
        _declaration = CustomLayerDeclaration.Parse(spec, new List<Model.Problem>());
        Parameters = _declaration.Arguments.Select(argument => new ParameterSpec(argument.Name, argument.ArgumentType, argument.Default)).ToArray();
    }

    public CustomLayerSpec Spec => _spec;

    public override string Name => _spec.Name;

    public override IReadOnlyList<ParameterSpec> Parameters { get; }

    /// <summary>Usable: the declaration parsed and the class has the constructor.</summary>
    public bool IsUsable => !_spec.HasErrors && _spec.ConstructorTypes.Count == _declaration.Arguments.Count + 1;

    public override LayerResult? Analyze(LayerContext context)
    {
        // Unusable layers are stopped before binding (NetworkAnalyzer.IsUnusable); this is a safety net.
        if (!IsUsable) return null;
        var input = context.Input;
        if (!input.IsMap) return context.WrongRank("a feature map (C x H x W)");
        var args = context.Args;
        var values = new Dictionary<string, Value>(System.StringComparer.Ordinal) { ["in"] = input.Channels };
        foreach (var argument in _declaration.Arguments) values[argument.Name] = args[argument.Name];

        LayerResult? Fail(string message)
        {
            context.Report(DiagnosticCatalog.CustomLayerEvaluation, context.Span, context.Describe, Name, _spec.DisplayName, input, message);
            return null;
        }
        Value? Evaluate(string property, string text, Expr expr, out string? problem)
        {
            problem = null;
            try
            {
                return Evaluator.Evaluate(expr, name => values.TryGetValue(name, out var value) ? value : null);
            }
            catch (ExpressionException error)
            {
                problem = $"{property} = \"{text}\" does not evaluate: {error.Message}";
            }
            catch (System.OverflowException)
            {
                problem = $"{property} = \"{text}\" overflows 64-bit integers";
            }
            return null;
        }
        string Given() => string.Join(", ", values.Select(pair => $"{pair.Key}={pair.Value}"));

        var channels = Evaluate("Channels", _spec.Channels, _declaration.Channels!, out var problem);
        if (channels is null) return Fail(problem!);
        if (channels.Kind != ValueKind.Int || channels.Int < 1 || channels.Int > int.MaxValue)
            return Fail($"Channels = \"{_spec.Channels}\" gives {channels} with {Given()}; it must be a positive integer");
        var stride = Evaluate("Stride", _spec.Stride, _declaration.Stride!, out problem);
        if (stride is null) return Fail(problem!);
        if (stride.Kind != ValueKind.Int || stride.Int < 1)
            return Fail($"Stride = \"{_spec.Stride}\" gives {stride} with {Given()}; it must be a positive integer");
        if (stride.IsDynamic)
            return Fail($"Stride = \"{_spec.Stride}\" depends on a model argument; a stride sets a size, which must be fixed at compile time");

        var s = stride.Int;
        var ceil = _spec.CeilMode;
        // ceil(H / s) is a 1-wide window with ceil_mode; floor(H / s) an s-wide window without it.
        var kernel = ceil ? 1 : s;
        var height = Spatial.Output(input.Height, kernel, s, 0, 1, ceil);
        var width = Spatial.Output(input.Width, kernel, s, 0, 1, ceil);
        if (height < 1 || width < 1)
        {
            context.Report(DiagnosticCatalog.SpatialTooSmall, context.Span, context.Describe, Name, input, $"{channels.Int}x{height}x{width}",
                $"floor(size / {s}) of {input.Height}x{input.Width} is empty");
            return null;
        }

        values["out"] = channels;
        var parameters = Evaluate("Parameters", _spec.Parameters, _declaration.Parameters!, out problem);
        if (parameters is null) return Fail(problem!);
        if (parameters.Kind != ValueKind.Int || parameters.Int < 0)
            return Fail($"Parameters = \"{_spec.Parameters}\" gives {parameters} with {Given()}; it must be a whole number, 0 or more");
        values["H"] = Value.Of(height);
        values["W"] = Value.Of(width);
        var macs = Evaluate("MultiplyAccumulates", _spec.MultiplyAccumulates, _declaration.MultiplyAccumulates!, out problem);
        if (macs is null) return Fail(problem!);
        if (macs.Kind != ValueKind.Int || macs.Int < 0)
            return Fail($"MultiplyAccumulates = \"{_spec.MultiplyAccumulates}\" gives {macs} with {Given()}; it must be a whole number, 0 or more");

        var detail = string.Join(", ", _declaration.Arguments.Select(argument => $"{argument.Name}={args[argument.Name]}"));
        if (s != 1) detail = (detail.Length > 0 ? detail + ", " : "") + $"/{s}";
        return new LayerResult(Shape.Map(channels, height, width), parameters.Int, macs.Int,
            // The module is the user's: its output may share storage with the input or be saved for backward,
            // or be the input itself (CustomLayers.Forward then gives it a handle of its own).
            new ForwardOp("CustomLayers.Forward({m}, {0})", SavesOutput: true, MayAlias: true))
        {
            HasModule = true,
            SizeRule = s == 1 ? SpatialRule.Keep : SpatialRule.Window((kernel, kernel), (s, s), (0, 0), (1, 1), ceil),
            Detail = detail,
            Operation = new CustomLayerOp(_spec.TypeName, Name, Dim.Of(input.Channels), Dim.Of(channels), s,
                _declaration.Arguments.Select(argument => new CustomLayerArgument(argument.Name, args[argument.Name].ToString(), args[argument.Name].Symbolic)).ToEquatableArray(),
                Dim.Of(parameters)),
            // The class is the user's: the attribute declares a parameter count, not the tensors behind it.
            Tensors = null,
        };
    }
}

/// <summary>
/// A layer written in C# (<c>[CnnLayer]</c>): its class, its DSL name, its channels, stride and arguments, and the
/// parameter count its attribute declares (which the generated constructor checks the module against).
/// </summary>
public sealed record CustomLayerOp(string TypeName, string Name, Dim In, Dim Out, long Stride, EquatableArray<CustomLayerArgument> Arguments, Dim Parameters) : Operation
{
    public override string Kind => "custom";
}

/// <summary>An argument of a C# layer: its name, its value as the DSL prints it, and how it follows from the model arguments.</summary>
public sealed record CustomLayerArgument(string Name, string Value, SizeExpr? Expr);
