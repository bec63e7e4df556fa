using System.Globalization;
using System.Linq;
using CnnGen.Generator.Analysis;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;
using CnnGen.Generator.Layers;

namespace CnnGen.Generator.Emit;

/// <summary>
/// A layer's TorchSharp module (or a group's parameter) in C#, read off its graph operation: the field's type,
/// <c>TorchSharp.Modules.Conv2d</c>, and the expression that builds it, <c>nn.Conv2d(64, 128, kernel_size: 3, padding: 1)</c>.
/// The constructor registers it, and <c>ResetClassifier</c> builds the layers sized by <c>num_classes</c> again with the
/// same text. Sizes that follow the model arguments print as C# over the constructor's parameters.
/// </summary>
internal static class ModuleConstruction
{
    /// <summary>The type of the module leaf's field.</summary>
    public static string TypeOf(ModuleNode leaf) => leaf.Operation switch
    {
        Conv2dOp => "TorchSharp.Modules.Conv2d",
        ConvTranspose2dOp => "TorchSharp.Modules.ConvTranspose2d",
        BatchNormOp => leaf.Input is { IsMap: true } ? "TorchSharp.Modules.BatchNorm2d" : "TorchSharp.Modules.BatchNorm1d",
        LinearOp => "TorchSharp.Modules.Linear",
        LayerNormOp => "TorchSharp.Modules.LayerNorm",
        LocalResponseNormOp => "TorchSharp.Modules.LocalResponseNorm",
        DropoutOp => "TorchSharp.Modules.Dropout",
        LayerScaleOp => "TorchSharp.Modules.Parameter",
        DflOp => "CnnGen.Runtime.Dfl",
        TrainableSubsampleOp => "CnnGen.Runtime.TrainableSubsample",
        TableConvOp => "CnnGen.Runtime.TableConv2d",
        CustomLayerOp custom => custom.TypeName,
        var operation => throw new System.InvalidOperationException($"no TorchSharp module for the operation '{operation?.Kind}' of '{leaf.Name}'"),
    };

    /// <summary>The construction of the module leaf at <paramref name="path"/> (the path a C# layer's count check names).</summary>
    public static string Of(ModuleNode leaf, string path, NetworkModel model)
    {
        var input = leaf.Input ?? throw new System.InvalidOperationException($"{model.ClassName}: the module '{path}' has no input shape");
        return leaf.Operation switch
        {
            Conv2dOp conv => Conv(conv),
            ConvTranspose2dOp transposed => ConvTranspose(transposed),
            BatchNormOp bn => BatchNorm(bn, input.IsMap),
            LinearOp linear => $"nn.Linear({linear.In.ToCSharp()}, {linear.Out.ToCSharp()}{(linear.Bias ? "" : ", hasBias: false")})",
            LayerNormOp norm => $"nn.LayerNorm(new long[] {{ {norm.Channels.ToCSharp()} }}, eps: {Value.FormatDouble(norm.Eps)}{(norm.Affine ? "" : ", elementwise_affine: false")})",
            LocalResponseNormOp lrn => $"nn.LocalResponseNorm({Number(lrn.Size)}, alpha: {Value.FormatDouble(lrn.Alpha)}, beta: {Value.FormatDouble(lrn.Beta)}, k: {Value.FormatDouble(lrn.K)})",
            DropoutOp dropout => $"nn.Dropout({dropout.P.ToCSharp()})",
            // A parameter of the enclosing group: [C, 1, 1] on a map, [C] on a vector or a channels-last map.
            LayerScaleOp scale => $"new Parameter(torch.full(new long[] {{ {scale.Channels.ToCSharp()}{(input.IsMap ? ", 1, 1" : "")} }}, {Value.FormatDouble(scale.Init)}))",
            DflOp dfl => $"new CnnGen.Runtime.Dfl({Number(dfl.RegMax)})",
            TrainableSubsampleOp subsample => $"new CnnGen.Runtime.TrainableSubsample({subsample.Channels.ToCSharp()}, {Number(subsample.Kernel)})",
            TableConvOp table => TableConv(table),
            CustomLayerOp custom => Custom(custom, path, model),
            var operation => throw new System.InvalidOperationException($"{model.ClassName}: no TorchSharp module for the operation '{operation?.Kind}' at '{path}'"),
        };
    }

    /// <summary>One number for a square kernel (and stride, padding, dilation); every pair written out otherwise.</summary>
    private static string Conv(Conv2dOp conv)
    {
        var text = new System.Text.StringBuilder($"nn.Conv2d({conv.In.ToCSharp()}, {conv.Out.ToCSharp()}");
        if (conv.Kernel.IsSquare && conv.Stride.IsSquare && conv.Padding.IsSquare && conv.Dilation.IsSquare)
        {
            text.Append($", kernel_size: {Number(conv.Kernel.H)}");
            if (conv.Stride.H != 1) text.Append($", stride: {Number(conv.Stride.H)}");
            if (conv.Padding.H != 0) text.Append($", padding: {Number(conv.Padding.H)}");
            if (conv.Dilation.H != 1) text.Append($", dilation: {Number(conv.Dilation.H)}");
        }
        else
        {
            text.Append($", kernel_size: {Tuple(conv.Kernel)}, stride: {Tuple(conv.Stride)}, padding: {Tuple(conv.Padding)}, dilation: {Tuple(conv.Dilation)}");
        }
        return text.Append(GroupsAndBias(conv.Groups, conv.Bias)).Append(')').ToString();
    }

    private static string ConvTranspose(ConvTranspose2dOp conv) =>
        $"nn.ConvTranspose2d({conv.In.ToCSharp()}, {conv.Out.ToCSharp()}, kernel_size: {Tuple(conv.Kernel)}, stride: {Tuple(conv.Stride)}, padding: {Tuple(conv.Padding)}, " +
        $"output_padding: {Tuple(conv.OutputPadding)}, dilation: {Tuple(conv.Dilation)}{GroupsAndBias(conv.Groups, conv.Bias)})";

    private static string GroupsAndBias(Dim groups, bool bias) =>
        (groups.Value != 1 ? $", groups: {groups.ToCSharp()}" : "") + (bias ? "" : ", bias: false");

    /// <summary>BatchNorm2d on a feature map, BatchNorm1d on a vector; eps and momentum only where they are not PyTorch's defaults.</summary>
    private static string BatchNorm(BatchNormOp bn, bool map)
    {
        var text = $"nn.BatchNorm{(map ? "2d" : "1d")}({bn.Channels.ToCSharp()}";
        if (bn.Eps.Expr is not null || bn.Eps.Value != BatchNormLayer.DefaultEps) text += $", eps: {bn.Eps.ToCSharp()}";
        if (bn.Momentum.Expr is not null || bn.Momentum.Value != BatchNormLayer.DefaultMomentum) text += $", momentum: {bn.Momentum.ToCSharp()}";
        if (!bn.Affine) text += ", affine: false";
        return text + ")";
    }

    private static string TableConv(TableConvOp table)
    {
        var rows = "new int[][] { " + string.Join(", ", table.Table.Select(row => "new[] { " + string.Join(", ", row.Select(input => Number(input))) + " }")) + " }";
        return $"new CnnGen.Runtime.TableConv2d({Number(table.In)}, {Number(table.Out)}, {rows}, kernel: {Tuple(table.Kernel)}, stride: {Tuple(table.Stride)}, padding: {Tuple(table.Padding)}" +
               (table.Bias ? ")" : ", bias: false)");
    }

    /// <summary>
    /// <c>new TheType(inChannels, arguments...)</c> in the constructor's parameter types, wrapped in
    /// <c>CustomLayers.CheckParameterCount</c>, which checks once that the module has the parameters its attribute declares.
    /// </summary>
    private static string Custom(CustomLayerOp custom, string path, NetworkModel model)
    {
        var spec = model.CustomLayers.FirstOrDefault(layer => layer.TypeName == custom.TypeName && layer.Name == custom.Name)
                   ?? throw new System.InvalidOperationException($"{model.ClassName}: the C# layer {custom.TypeName} at '{path}' is not among the network's C# layers");
        var arguments = new[] { Convert(custom.In.ToCSharp(), custom.In.IsSymbolic, spec.ConstructorTypes[0]) }
            .Concat(custom.Arguments.Select((argument, i) => Convert(Literal(argument, spec.ConstructorTypes[i + 1]), argument.Expr is not null, spec.ConstructorTypes[i + 1])));
        var declared = custom.Parameters.IsSymbolic ? $"(long)({custom.Parameters.ToCSharp()})" : custom.Parameters.ToCSharp() + "L";
        return $"CustomLayers.CheckParameterCount(new {custom.TypeName}({string.Join(", ", arguments)}), {Value.Of(spec.DisplayName).ToCSharp()}, {declared}, {Value.Of(path).ToCSharp()})";
    }

    /// <summary>An argument in C#: its expression over the constructor's parameters, or its value (a double literal for a real parameter).</summary>
    private static string Literal(CustomLayerArgument argument, string type) =>
        argument.Expr?.ToCSharp()
        ?? (type is "double" or "float" ? Value.FormatDouble(double.Parse(argument.Value, CultureInfo.InvariantCulture)) : argument.Value);

    /// <summary>A value as the constructor parameter's type; a value over model arguments gets a cast.</summary>
    private static string Convert(string text, bool dynamic, string type) => type switch
    {
        "bool" => text,
        "float" => $"(float)({text})",
        _ when dynamic => $"({type})({text})",
        _ => text,
    };

    private static string Tuple(Pair pair) => Spatial.Tuple((pair.H, pair.W));

    private static string Number(long value) => value.ToString(CultureInfo.InvariantCulture);
}
