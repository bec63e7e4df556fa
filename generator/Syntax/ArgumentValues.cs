using System.Collections.Generic;
using CnnGen.Generator.Expressions;

namespace CnnGen.Generator.Syntax;

/// <summary>
/// Model arguments given other values than the file's defaults (<c>cnngen weights check --arg num_classes=10</c>),
/// so the analysis computes the network a constructor call with those arguments builds: the same walk, with
/// the shapes of <c>new ResNet50(numClasses: 10)</c>.
/// </summary>
public static class ArgumentValues
{
    /// <summary>
    /// Replaces the default of each top-level argument <paramref name="values"/> names by its expression. A variant
    /// that fixes the argument still fixes it (it is that class's constant); names the file lacks are left for the
    /// caller to report, which knows how to say so.
    /// </summary>
    /// <exception cref="ExpressionException">A value that does not parse as an expression.</exception>
    public static void Apply(NetworkDocument document, IReadOnlyDictionary<string, string> values)
    {
        for (var i = 0; i < document.Arguments.Count; i++)
        {
            var argument = document.Arguments[i];
            if (values.TryGetValue(argument.Key.Text, out var text))
                document.Arguments[i] = argument with { Default = ExpressionParser.Parse(text) };
        }
        // A published count is the default network's (torchvision's 1000-class ResNet-50); another class count has
        // another total, which is no mistake in the file.
        document.PublishedParams = null;
        for (var i = 0; i < document.Variants.Count; i++)
            document.Variants[i] = document.Variants[i] with { PublishedParams = null };
    }
}
