using System.Collections.Generic;
using System.Linq;
using System.Text;
using Microsoft.CodeAnalysis.CSharp;

namespace CnnGen.Generator.Analysis;

/// <summary>Turns YAML names into C# names (<c>num_classes</c> -> <c>numClasses</c>, <c>layer1</c> -> <c>Layer1</c>).</summary>
public static class Identifiers
{
    public static bool IsName(string text) =>
        text.Length > 0 && (char.IsLetter(text[0]) || text[0] == '_') && text.All(c => char.IsLetterOrDigit(c) || c == '_');

    /// <summary>
    /// A name a module may have in the state dict: an identifier, or one with '-' as torchvision's RegNet names its
    /// blocks (<c>block1-0</c>). C# names are derived from it (<see cref="Field"/>, <see cref="Pascal"/>); a '.'
    /// would split the key.
    /// </summary>
    public static bool IsStateDictName(string text) =>
        text.Length > 0 && (char.IsLetter(text[0]) || text[0] == '_') && text.All(c => char.IsLetterOrDigit(c) || c == '_' || c == '-');

    public static bool IsClassName(string text) => IsName(text) && SyntaxFacts.GetKeywordKind(text) == SyntaxKind.None;

    /// <summary>
    /// CnnGen.Runtime types (and the generated catalog) that generated code names without qualification:
    /// a network or a typed property by one of these names would hide the type inside the class.
    /// </summary>
    public static readonly IReadOnlyCollection<string> RuntimeTypes = new HashSet<string>
    {
        "DenseConcat", "DslMath", "Forward", "IGeneratedNetwork", "Inference", "InputCheck", "LayerInfo", "ModuleGroup", "ModuleSlots",
        "NetworkCatalog", "NetworkInfo", "TableConv2d", "TrainableSubsample",
    };

    public static string Camel(string snake)
    {
        var pascal = Pascal(snake);
        var camel = char.ToLowerInvariant(pascal[0]) + pascal.Substring(1);
        return SyntaxFacts.GetKeywordKind(camel) != SyntaxKind.None || SyntaxFacts.GetContextualKeywordKind(camel) != SyntaxKind.None ? "@" + camel : camel;
    }

    public static string Pascal(string snake)
    {
        var builder = new StringBuilder();
        var upper = true;
        foreach (var c in snake)
        {
            if (c == '_' || c == '-' || c == '.')
            {
                upper = true;
                continue;
            }
            builder.Append(upper ? char.ToUpperInvariant(c) : c);
            upper = false;
        }
        if (builder.Length == 0 || char.IsDigit(builder[0])) builder.Insert(0, '_');
        return builder.ToString();
    }

    /// <summary>A field name for a module at a state-dict path: <c>layer1.0.conv1</c> -> <c>_layer1_0_conv1</c>.</summary>
    public static string Field(string path) => "_" + new string(path.Select(c => char.IsLetterOrDigit(c) ? c : '_').ToArray());
}
