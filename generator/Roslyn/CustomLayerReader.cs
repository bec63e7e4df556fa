using System.Collections.Generic;
using System.Linq;
using System.Threading;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Model;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;
using Microsoft.CodeAnalysis.CSharp.Syntax;

namespace CnnGen.Generator.Roslyn;

/// <summary>
/// Reads one <c>[CnnLayer]</c> class into a <see cref="CustomLayerSpec"/>: the attribute's constants (the
/// generator cannot run user code), where each was written, and whether the class has what the
/// generated code needs (a <c>Module&lt;Tensor, Tensor&gt;</c> with the constructor the arguments ask for).
/// </summary>
internal static class CustomLayerReader
{
    public const string AttributeMetadataName = "CnnGen.Runtime.CnnLayerAttribute";

    private const string ModuleOfTensors = "TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>";

    private static readonly string[] Properties = { "Arguments", "Channels", "Stride", "CeilMode", "Parameters", "MultiplyAccumulates" };

    public static CustomLayerSpec Read(GeneratorAttributeSyntaxContext context, CancellationToken cancellationToken)
    {
        var type = (INamedTypeSymbol)context.TargetSymbol;
        var attribute = context.Attributes[0];
        var syntax = attribute.ApplicationSyntaxReference?.GetSyntax(cancellationToken) as AttributeSyntax;
        var tree = syntax?.SyntaxTree ?? context.TargetNode.SyntaxTree;
        var site = ToSpan(tree, syntax?.Span ?? context.TargetNode.Span);

        var name = attribute.ConstructorArguments.Length == 1 ? attribute.ConstructorArguments[0].Value as string ?? "" : "";
        var named = attribute.NamedArguments.ToDictionary(pair => pair.Key, pair => pair.Value.Value);
        string Text(string property, string fallback) => named.TryGetValue(property, out var value) && value is string text ? text : fallback;

        var spec = new CustomLayerSpec(
            name,
            type.ToDisplayString(SymbolDisplayFormat.FullyQualifiedFormat),
            type.ToDisplayString(),
            tree.FilePath,
            site,
            Text("Arguments", ""),
            Text("Channels", "in"),
            Text("Stride", "1"),
            named.TryGetValue("CeilMode", out var ceil) && ceil is bool flag ? flag : true,
            Text("Parameters", "0"),
            Text("MultiplyAccumulates", "0"),
            EquatableArray<string>.Empty,
            EquatableArray<Problem>.Empty)
        {
            Sites = ReadSites(syntax, tree).ToEquatableArray(),
        };

        var problems = new List<Problem>();
        var declaration = CustomLayerDeclaration.Parse(spec, problems);
        var constructorTypes = CheckClass(type, declaration, spec, problems);
        return spec with { ConstructorTypes = constructorTypes.ToEquatableArray(), Problems = problems.ToEquatableArray() };
    }

    /// <summary>Where the name and each property were written, and where a plain string literal's text starts.</summary>
    internal static IEnumerable<CustomRuleSite> ReadSites(AttributeSyntax? syntax, SyntaxTree tree)
    {
        if (syntax?.ArgumentList is null) yield break;
        foreach (var argument in syntax.ArgumentList.Arguments)
        {
            var property = argument.NameEquals?.Name.Identifier.ValueText ?? (argument.NameColon is null || argument.NameColon.Name.Identifier.ValueText == "name" ? "Name" : null);
            if (property is null || (property != "Name" && !Properties.Contains(property))) continue;
            var offset = -1;
            if (argument.Expression is LiteralExpressionSyntax literal && literal.IsKind(SyntaxKind.StringLiteralExpression)
                && literal.Token.Text == "\"" + literal.Token.ValueText + "\"")
                offset = 1;
            yield return new CustomRuleSite(property, ToSpan(tree, argument.Expression.Span), offset);
        }
    }

    /// <summary>Reports what keeps the generated code from building the class; returns the matching constructor's parameter types.</summary>
    private static IReadOnlyList<string> CheckClass(INamedTypeSymbol type, CustomLayerDeclaration declaration, CustomLayerSpec spec, List<Problem> problems)
    {
        void Fail(string message) => problems.Add(Problem.Create(DiagnosticCatalog.CustomLayerClass, spec.Site, spec.DisplayName, message));

        var ok = true;
        if (type.IsAbstract || type.IsStatic) { Fail("the class is abstract or static; the network needs to build an instance"); ok = false; }
        for (var outer = type; outer is not null; outer = outer.ContainingType)
        {
            if (outer.IsGenericType) { Fail($"{outer.Name} is generic; a layer class needs concrete types"); ok = false; break; }
            if (outer.DeclaredAccessibility is Accessibility.Private or Accessibility.Protected or Accessibility.ProtectedAndInternal)
            {
                Fail($"{outer.Name} is {outer.DeclaredAccessibility.ToString().ToLowerInvariant()}; the generated network (a class of this assembly) needs it public or internal");
                ok = false;
                break;
            }
        }
        var isModule = false;
        for (var baseType = type.BaseType; baseType is not null; baseType = baseType.BaseType)
            if (baseType.ToDisplayString() == ModuleOfTensors) { isModule = true; break; }
        if (!isModule) { Fail("the class must derive from TorchSharp's Module<Tensor, Tensor> (one tensor in, one tensor out)"); ok = false; }

        if (!declaration.ArgumentsValid) return new List<string>();
        var wanted = new List<string> { "long" }.Concat(declaration.Arguments.Select(argument => argument.Type)).ToList();
        var expected = $"({string.Join(", ", new[] { "long inChannels" }.Concat(declaration.Arguments.Select(argument => $"{CSharpTypeOf(argument.Type)} {ToCamel(argument.Name)}")))})";
        var constructors = type.InstanceConstructors.Where(constructor => constructor.DeclaredAccessibility is Accessibility.Public or Accessibility.Internal).ToList();
        foreach (var constructor in constructors)
        {
            if (constructor.Parameters.Length != wanted.Count) continue;
            var types = new List<string>();
            for (var i = 0; i < wanted.Count; i++)
            {
                var actual = Keyword(constructor.Parameters[i].Type);
                var fits = (i == 0 || wanted[i] == "int") ? actual is "long" or "int"
                    : wanted[i] == "float" ? actual is "double" or "float"
                    : actual == "bool";
                if (!fits || constructor.Parameters[i].RefKind != RefKind.None) break;
                types.Add(actual!);
            }
            if (types.Count == wanted.Count) return ok ? types : new List<string>();
        }
        var found = constructors.Count == 0 ? "it has no public constructor"
            : "it has " + string.Join(", ", constructors.Select(constructor => "(" + string.Join(", ", constructor.Parameters.Select(p => $"{p.Type.ToDisplayString()} {p.Name}")) + ")"));
        Fail($"the network builds it as new {type.Name}{expected} (the input channels, then the declared arguments in order), but {found}");
        return new List<string>();
    }

    private static string CSharpTypeOf(string type) => type switch { "int" => "int", "float" => "double", _ => "bool" };

    private static string ToCamel(string name) => Analysis.Identifiers.Camel(name).TrimStart('@');

    private static string? Keyword(ITypeSymbol type) => type.SpecialType switch
    {
        SpecialType.System_Int32 => "int",
        SpecialType.System_Int64 => "long",
        SpecialType.System_Double => "double",
        SpecialType.System_Single => "float",
        SpecialType.System_Boolean => "bool",
        _ => null,
    };

    internal static SourceSpan ToSpan(SyntaxTree tree, Microsoft.CodeAnalysis.Text.TextSpan span)
    {
        var lines = tree.GetLineSpan(span);
        return new SourceSpan(span.Start, span.End, lines.StartLinePosition.Line, lines.StartLinePosition.Character, lines.EndLinePosition.Line, lines.EndLinePosition.Character);
    }
}
