using System.Collections.Generic;

namespace CnnGen.Generator.Diagnostics;

/// <summary>
/// Every diagnostic the generator can report, with a stable ID. Kept free of Roslyn types so a
/// command-line tool can share it; <see cref="Roslyn.DiagnosticDescriptors"/> maps it for the compiler.
/// IDs are never reused or renumbered.
/// </summary>
public static class DiagnosticCatalog
{
    public static readonly DiagnosticInfo YamlSyntax = new(
        "CNN0001", "YAML syntax error", "YAML syntax error: {0}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo MissingKey = new(
        "CNN0002", "Required key missing", "The network file needs a '{0}' key: {1}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo InvalidValue = new(
        "CNN0003", "Invalid value", "'{0}' {1}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo UnknownLayer = new(
        "CNN0004", "Unknown layer or block", "'{0}' is not a layer or a block of this file{1}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo MissingArgument = new(
        "CNN0005", "Missing argument", "{0}: '{1}' needs the argument '{2}'", ProblemSeverity.Error);

    public static readonly DiagnosticInfo UnknownArgument = new(
        "CNN0006", "Unknown argument", "{0}: '{1}' has no argument '{2}'{3}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo ArgumentType = new(
        "CNN0007", "Argument of the wrong type or range", "{0}: argument '{1}' of '{2}' {3}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo ChannelMismatch = new(
        "CNN0008", "Channel mismatch", "{0} ({1}) receives {2}: {3}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo SpatialTooSmall = new(
        "CNN0009", "Spatial size falls to zero or below", "{0} ({1}) receives {2} and would output {3}: {4}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo ResidualShapes = new(
        "CNN0010", "Residual shapes cannot be added", "{0}: the residual body gives {1} but the shortcut gives {2}; they cannot be added{3}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo ParameterCountMismatch = new(
        "CNN0011", "Parameter count differs from the published number", "{0} has {1:N0} parameters but the published count is {2:N0} ({3}): {4:+#,0;-#,0} parameters. Largest layers: {5}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo ExpressionError = new(
        "CNN0012", "Invalid expression", "{0}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo BlockDefinition = new(
        "CNN0013", "Invalid block definition or use", "{0}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo DuplicateName = new(
        "CNN0014", "Duplicate name", "{0}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo UnknownKey = new(
        "CNN0015", "Unknown key", "Unknown key '{0}' in {1}; it is ignored{2}", ProblemSeverity.Warning);

    public static readonly DiagnosticInfo Unsupported = new(
        "CNN0016", "Unsupported construct", "{0}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo InternalError = new(
        "CNN0017", "Generator failure", "The CnnGen generator failed on this file ({0}); please report it with the file attached", ProblemSeverity.Error);

    public static readonly DiagnosticInfo ShapeMismatch = new(
        "CNN0018", "Input shape not accepted by the layer", "{0} ({1}) receives {2} but needs {3}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo ConcatShapes = new(
        "CNN0019", "Concatenated branches differ in size", "{0}: the concatenated branches produce {1}; they must agree in height and width ({2})", ProblemSeverity.Error);

    public static readonly DiagnosticInfo UnusedBlock = new(
        "CNN0020", "Unused block", "The block '{0}' is never used", ProblemSeverity.Warning);

    public static readonly DiagnosticInfo UnusedArgument = new(
        "CNN0021", "Unused model argument", "The model argument '{0}' is never used; it still becomes a constructor parameter", ProblemSeverity.Warning);

    public static readonly DiagnosticInfo NoValidInputSize = new(
        "CNN0022", "No input size makes the network valid", "The network is valid for no input size: {0}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo GateShape = new(
        "CNN0023", "Gate scale does not fit its input", "{0}: the gate's sub-network gives {1} for an input of {2}; a gate multiplies its input by a scale of the same channels, 1x1 or the input's size{3}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo SplitChannels = new(
        "CNN0024", "Channels cannot be split", "{0}: {1} channels cannot be split into {2} equal parts", ProblemSeverity.Error);

    public static readonly DiagnosticInfo UnknownOutput = new(
        "CNN0025", "Not an earlier output", "{0}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo JoinShapes = new(
        "CNN0026", "Joined outputs differ in shape", "{0}: {1} cannot {2} {3}; {4}", ProblemSeverity.Error);

    // CNN0030-CNN0039: layers written in C# ([CnnLayer], see docs/dsl.md "Your own layers").

    public static readonly DiagnosticInfo CustomLayerDeclaration = new(
        "CNN0030", "Invalid custom layer declaration", "[CnnLayer] on {0}: {1}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo CustomLayerRule = new(
        "CNN0031", "Custom layer rule does not parse", "[CnnLayer] on {0}: {1}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo CustomLayerEvaluation = new(
        "CNN0032", "Custom layer rule does not evaluate for this use", "{0} ({1}, the C# layer {2}) receives {3}: {4}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo CustomLayerClass = new(
        "CNN0033", "Custom layer class cannot be built", "[CnnLayer] on {0}: {1}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo CustomLayerName = new(
        "CNN0034", "Custom layer name already taken", "[CnnLayer] on {0}: {1}", ProblemSeverity.Error);

    public static readonly DiagnosticInfo CustomLayerUnusable = new(
        "CNN0035", "Custom layer declaration has errors", "'{0}' is the C# layer {1}, whose [CnnLayer] declaration has errors (reported at {2}); fix them to use it", ProblemSeverity.Error);

    public static IReadOnlyList<DiagnosticInfo> All { get; } = new[]
    {
        YamlSyntax, MissingKey, InvalidValue, UnknownLayer, MissingArgument, UnknownArgument, ArgumentType,
        ChannelMismatch, SpatialTooSmall, ResidualShapes, ParameterCountMismatch, ExpressionError,
        BlockDefinition, DuplicateName, UnknownKey, Unsupported, InternalError, ShapeMismatch, ConcatShapes, UnusedBlock, UnusedArgument, NoValidInputSize,
        GateShape, SplitChannels, UnknownOutput, JoinShapes,
        CustomLayerDeclaration, CustomLayerRule, CustomLayerEvaluation, CustomLayerClass, CustomLayerName, CustomLayerUnusable,
    };
}
