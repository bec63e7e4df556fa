using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Analysis;
using CnnGen.Generator.Expressions;

namespace CnnGen.Generator.Emit;

/// <summary>
/// <c>ResetClassifier(numClasses)</c> (timm's <c>reset_classifier</c>): the layers whose size depends on the
/// <c>num_classes</c> argument (the head's last layer, and an aux head's) are built again for another class
/// count, from the same constructor expressions, and swapped in place of the old ones.
/// </summary>
internal static class ClassifierEmitter
{
    /// <summary>The model argument for the class count, or null when the YAML has none.</summary>
    public static ModelArgument? ClassCount(NetworkModel model) =>
        model.Arguments.FirstOrDefault(argument => argument.YamlName == "num_classes");

    /// <summary>
    /// Every module (path and node) the constructor builds from the class count, in registration order: those whose
    /// operation has a size that reads the argument, directly or through a derived size.
    /// </summary>
    public static IReadOnlyList<(string Path, ModuleNode Node, Graph.Operation Operation)> ClassLayers(NetworkModel model)
    {
        var layers = new List<(string, ModuleNode, Graph.Operation)>();
        if (ClassCount(model) is not { } argument) return layers;
        var derived = model.DerivedValues.ToDictionary(value => value.Name, value => value.Definition);
        bool ReadsClassCount(SizeExpr expr) =>
            expr.Arguments().Any(reference => reference.YamlName == argument.YamlName)
            || expr.DerivedNames().Any(name => derived.TryGetValue(name, out var definition) && ReadsClassCount(definition));
        void Walk(ModuleNode node, string prefix)
        {
            foreach (var child in node.Children)
            {
                var path = prefix.Length == 0 ? child.Name : prefix + "." + child.Name;
                if (child.IsGroup) Walk(child, path);
                else if (!child.IsParameter && child.Operation is { } operation && operation.SizeExpressions().Any(ReadsClassCount))
                    layers.Add((path, child, operation));
            }
        }
        Walk(model.Root, "");
        return layers;
    }

    public static void Write(SourceWriter writer, NetworkModel model)
    {
        var layers = ClassLayers(model);
        if (layers.Count == 0) return;
        var argument = ClassCount(model)!;
        var parameter = argument.CSharpName;
        writer.Line("/// <summary>");
        writer.Line($"/// Replaces the layers built from 'num_classes' ({string.Join(", ", layers.Select(layer => layer.Path))}) with new ones for");
        writer.Line($"/// <paramref name=\"{parameter.TrimStart('@')}\"/> classes, freshly initialised, on this network's device and dtype; every other layer keeps");
        writer.Line("/// its weights and its frozen or trainable state (timm's <c>reset_classifier</c>). The old layers are disposed:");
        writer.Line("/// build the optimizer after this call.");
        writer.Line("/// </summary>");
        writer.Line("/// <exception cref=\"System.ArgumentOutOfRangeException\">Fewer than one class.</exception>");
        writer.Line("/// <exception cref=\"System.InvalidOperationException\">The network is in its inference form (reset it before <c>ToInference</c>).</exception>");
        writer.Open($"public void ResetClassifier({argument.CSharpType} {parameter})");
        writer.Line($"if ({parameter} < 1) throw new System.ArgumentOutOfRangeException(nameof({parameter.TrimStart('@')}), {parameter}, \"A classifier needs at least one class.\");");
        writer.Line("if (_inference) throw new System.InvalidOperationException(\"This network was turned into its inference form (ToInference); reset its classifier before that.\");");
        writer.Line($"this.{parameter.TrimStart('@')} = {parameter};");
        // The constructor's expressions read the other arguments from the fields of the same name; the
        // channel counts computed in the constructor (DenseNet's growing widths) are computed again.
        foreach (var derived in NeededDerivedValues(model, layers.SelectMany(layer => layer.Operation.SizeExpressions())))
            writer.Line($"{derived.CSharpType} {derived.Name} = {derived.Expression};");
        foreach (var (path, node, _) in layers)
            writer.Line($"{node.Field} = ModuleSlots.Replace(this, {Expressions.Value.Of(path).ToCSharp()}, {node.Field}, {ModuleConstruction.Of(node, path, model)});");
        writer.Close();
        writer.Line();
    }

    /// <summary>The derived values the expressions read, directly or through other derived values, in constructor order.</summary>
    internal static IEnumerable<DerivedValue> NeededDerivedValues(NetworkModel model, IEnumerable<SizeExpr> expressions)
    {
        var names = new HashSet<string>(expressions.SelectMany(expr => expr.DerivedNames()));
        var needed = new List<DerivedValue>();
        // Each derived value reads only earlier ones: one backward pass collects the closure.
        for (var i = model.DerivedValues.Count - 1; i >= 0; i--)
        {
            var derived = model.DerivedValues[i];
            if (!names.Contains(derived.Name)) continue;
            needed.Add(derived);
            names.UnionWith(derived.Definition.DerivedNames());
        }
        needed.Reverse();
        return needed;
    }
}
