using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CnnGen.Generator.Roslyn;

/// <summary>
/// <c>[CnnLayer]</c> declarations read from C# source text alone, for <c>cnngen check</c> and <c>summary</c>,
/// which see a YAML file without its project's compilation (no TorchSharp, no CnnGen.Runtime to bind to).
/// The rules are read and checked as the generator reads them; what needs symbols (the base class, the
/// constructor) is left to the build, which reads the same attribute through <see cref="CustomLayerReader"/>.
/// Only plain string literals are read: a rule written as a constant expression is the build's to check.
/// </summary>
public static class CustomLayerSyntaxReader
{
    /// <summary>Every <c>[CnnLayer("name", ...)]</c> class in <paramref name="source"/>.</summary>
    public static IReadOnlyList<CustomLayerSpec> Read(string source, string path)
    {
        var tree = CSharpSyntaxTree.ParseText(source, path: path);
        var specs = new List<CustomLayerSpec>();
        foreach (var type in tree.GetRoot().DescendantNodes().OfType<ClassDeclarationSyntax>())
        {
            var attribute = type.AttributeLists.SelectMany(list => list.Attributes).FirstOrDefault(IsCnnLayer);
            if (attribute?.ArgumentList is not { } arguments) continue;
            string? Literal(ExpressionSyntax expression) =>
                expression is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.StringLiteralExpression) ? literal.Token.ValueText : null;
            var positional = arguments.Arguments.FirstOrDefault(argument => argument.NameEquals is null);
            if (positional is null || Literal(positional.Expression) is not { } name) continue;
            var named = arguments.Arguments.Where(argument => argument.NameEquals is not null)
                .ToDictionary(argument => argument.NameEquals!.Name.Identifier.ValueText, argument => argument.Expression);
            string Text(string property, string fallback) => named.TryGetValue(property, out var value) && Literal(value) is { } text ? text : fallback;
            var ceilMode = !(named.TryGetValue("CeilMode", out var ceil) && ceil.IsKind(SyntaxKind.FalseLiteralExpression));

            var displayName = string.Join(".", type.AncestorsAndSelf().OfType<BaseTypeDeclarationSyntax>().Reverse().Select(t => t.Identifier.ValueText));
            var @namespace = type.Ancestors().OfType<BaseNamespaceDeclarationSyntax>().FirstOrDefault()?.Name.ToString();
            if (!string.IsNullOrEmpty(@namespace)) displayName = @namespace + "." + displayName;
            var spec = new CustomLayerSpec(name, "global::" + displayName, displayName, path, CustomLayerReader.ToSpan(tree, attribute.Span),
                Text("Arguments", ""), Text("Channels", "in"), Text("Stride", "1"), ceilMode, Text("Parameters", "0"), Text("MultiplyAccumulates", "0"),
                EquatableArray<string>.Empty, EquatableArray<Problem>.Empty)
            {
                Sites = CustomLayerReader.ReadSites(attribute, tree).ToEquatableArray(),
            };
            var problems = new List<Problem>();
            var declaration = CustomLayerDeclaration.Parse(spec, problems);
            // The constructor the build will look for; its existence is the build's to check.
            var constructor = new[] { "long" }.Concat(declaration.Arguments.Select(argument => argument.Type == "float" ? "double" : argument.Type == "int" ? "long" : "bool"));
            specs.Add(spec with { ConstructorTypes = constructor.ToEquatableArray(), Problems = problems.ToEquatableArray() });
        }
        return specs;
    }

    private static bool IsCnnLayer(AttributeSyntax attribute)
    {
        var name = attribute.Name switch
        {
            QualifiedNameSyntax qualified => qualified.Right.Identifier.ValueText,
            AliasQualifiedNameSyntax alias => alias.Name.Identifier.ValueText,
            SimpleNameSyntax simple => simple.Identifier.ValueText,
            _ => "",
        };
        return name is "CnnLayer" or "CnnLayerAttribute";
    }
}
