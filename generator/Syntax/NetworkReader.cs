using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Analysis;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Syntax;

/// <summary>Reads the top-level keys of a network file into a <see cref="NetworkDocument"/>.</summary>
public static class NetworkReader
{
    public static readonly string[] TopLevelKeys = { "name", "description", "input", "published", "args", "blocks", "layers", "aux", "head", "outputs", "variants" };

    public static NetworkDocument? Read(string path, YamlNodeSyntax? root, List<Problem> problems)
    {
        var fileStart = new SourceSpan(0, 0, 0, 0, 0, 0);
        if (root is not YamlMapping mapping)
        {
            problems.Add(Problem.Create(DiagnosticCatalog.MissingKey, root?.Span ?? fileStart, "name",
                "the file must be a YAML mapping with 'name', 'input' and 'layers' (it is " + (root is null ? "empty" : "not a mapping") + ")"));
            return null;
        }

        var document = new NetworkDocument { Path = path, FileStart = fileStart };
        foreach (var entry in mapping.Entries)
        {
            var key = entry.Key;
            switch (key.Text)
            {
                case "name":
                    document.Name = RequireScalar(entry.Value, "name", "the class name, e.g. ResNet50", problems);
                    break;
                case "description":
                    document.Description = RequireScalar(entry.Value, "description", "text", problems)?.Text;
                    break;
                case "input":
                    document.Input = entry.Value;
                    break;
                case "published":
                    ReadPublished(document, entry.Value, problems);
                    break;
                case "args":
                    ReadArguments(document, entry.Value, problems);
                    break;
                case "blocks":
                    ReadBlocks(document, entry.Value, problems);
                    break;
                case "layers":
                    document.Layers = entry.Value;
                    break;
                case "aux":
                    document.Aux = entry.Value;
                    break;
                case "head":
                    document.Head = RequireScalar(entry.Value, "head", "the module path of the classifier head, e.g. fc or classifier.6", problems);
                    break;
                case "outputs":
                    document.Outputs = ReadOutputs(entry.Value, problems);
                    break;
                case "variants":
                    ReadVariants(document, entry.Value, problems);
                    break;
                default:
                    problems.Add(Problem.Create(DiagnosticCatalog.UnknownKey, key.Span, key.Text, "the network file",
                        Suggestions.DidYouMean(key.Text, TopLevelKeys)));
                    break;
            }
        }

        var firstKey = mapping.Entries.Count > 0 ? mapping.Entries[0].Key.Span : mapping.Span;
        if (document.Name is null && mapping.Get("name") is null && document.Variants.Count == 0)
            problems.Add(Problem.Create(DiagnosticCatalog.MissingKey, firstKey, "name", "the name of the generated class, e.g. 'name: ResNet50'"));
        if (document.Input is null)
            problems.Add(Problem.Create(DiagnosticCatalog.MissingKey, firstKey, "input", "the input shape [channels, height, width], e.g. 'input: [3, 224, 224]'"));
        if (document.Layers is null)
            problems.Add(Problem.Create(DiagnosticCatalog.MissingKey, firstKey, "layers", "the layer sequence of the network"));
        return document;
    }

    /// <summary>
    /// <c>outputs: [out, aux]</c> (or one name), each an output of the layers returned under its own name, or
    /// <c>outputs: { p2: fpn.p2, pool: pool }</c>, each returned under the key.
    /// </summary>
    private static IReadOnlyList<NetworkOutputSyntax>? ReadOutputs(YamlNodeSyntax node, List<Problem> problems)
    {
        if (node is YamlScalar scalar) return new[] { new NetworkOutputSyntax(scalar, scalar) };
        if (node is YamlSequence sequence && sequence.Items.Count > 0 && sequence.Items.All(item => item is YamlScalar))
            return sequence.Items.Cast<YamlScalar>().Select(item => new NetworkOutputSyntax(item, item)).ToList();
        if (node is YamlMapping mapping && mapping.Entries.Count > 0 && mapping.Entries.All(entry => entry.Value is YamlScalar))
            return mapping.Entries.Select(entry => new NetworkOutputSyntax(entry.Key, (YamlScalar)entry.Value)).ToList();
        problems.Add(Problem.Create(DiagnosticCatalog.InvalidValue, node.Span, "outputs",
            "must list the outputs the network returns by name, e.g. 'outputs: [out, aux]', or map names to them, e.g. 'outputs: { p2: fpn.p2, pool: pool }'"));
        return null;
    }

    private static YamlScalar? RequireScalar(YamlNodeSyntax node, string key, string what, List<Problem> problems)
    {
        if (node is YamlScalar scalar) return scalar;
        problems.Add(Problem.Create(DiagnosticCatalog.InvalidValue, node.Span, key, $"must be a single value ({what})"));
        return null;
    }

    private static void ReadPublished(NetworkDocument document, YamlNodeSyntax node, List<Problem> problems)
    {
        if (node is not YamlMapping published)
        {
            problems.Add(Problem.Create(DiagnosticCatalog.InvalidValue, node.Span, "published", "must be a mapping such as '{ params: 25557032, source: torchvision resnet50 }'"));
            return;
        }
        foreach (var entry in published.Entries)
        {
            switch (entry.Key.Text)
            {
                case "params":
                    document.PublishedParams = RequireScalar(entry.Value, "published.params", "an integer", problems);
                    break;
                case "source":
                    document.PublishedSource = RequireScalar(entry.Value, "published.source", "where the number comes from", problems)?.Text;
                    break;
                default:
                    problems.Add(Problem.Create(DiagnosticCatalog.UnknownKey, entry.Key.Span, entry.Key.Text, "'published'",
                        Suggestions.DidYouMean(entry.Key.Text, new[] { "params", "source" })));
                    break;
            }
        }
    }

    private static readonly string[] VariantKeys = { "args", "params", "source", "description" };

    private static void ReadVariants(NetworkDocument document, YamlNodeSyntax node, List<Problem> problems)
    {
        if (node is not YamlMapping variants)
        {
            problems.Add(Problem.Create(DiagnosticCatalog.InvalidValue, node.Span, "variants", "must map class names to their settings, e.g. 'ResNet18: { args: { depth: 18 }, params: 11689512 }'"));
            return;
        }
        foreach (var entry in variants.Entries)
        {
            if (entry.Value is not YamlMapping settings)
            {
                problems.Add(Problem.Create(DiagnosticCatalog.InvalidValue, entry.Value.Span, entry.Key.Text, "must be a mapping with 'args' and 'params'"));
                continue;
            }
            var arguments = new List<ArgumentDefinition>();
            YamlScalar? published = null;
            string? description = null;
            string? source = null;
            foreach (var setting in settings.Entries)
            {
                switch (setting.Key.Text)
                {
                    case "args":
                        arguments.AddRange(ReadArgumentMap(setting.Value, "args", problems));
                        break;
                    case "params":
                        published = RequireScalar(setting.Value, "params", "the published parameter count of this variant", problems);
                        break;
                    case "source":
                        source = RequireScalar(setting.Value, "source", "where this variant's published count comes from", problems)?.Text;
                        break;
                    case "description":
                        description = RequireScalar(setting.Value, "description", "text", problems)?.Text;
                        break;
                    default:
                        problems.Add(Problem.Create(DiagnosticCatalog.UnknownKey, setting.Key.Span, setting.Key.Text, $"variant '{entry.Key.Text}'",
                            Suggestions.DidYouMean(setting.Key.Text, VariantKeys)));
                        break;
                }
            }
            document.Variants.Add(new VariantDefinition(entry.Key, arguments, published, description) { PublishedSource = source });
        }
    }

    private static void ReadArguments(NetworkDocument document, YamlNodeSyntax node, List<Problem> problems) =>
        document.Arguments.AddRange(ReadArgumentMap(node, "args", problems));

    private static List<ArgumentDefinition> ReadArgumentMap(YamlNodeSyntax node, string key, List<Problem> problems)
    {
        var result = new List<ArgumentDefinition>();
        if (node is not YamlMapping arguments)
        {
            problems.Add(Problem.Create(DiagnosticCatalog.InvalidValue, node.Span, key, "must be a mapping of argument names to defaults, e.g. '{ num_classes: 1000 }'"));
            return result;
        }
        foreach (var entry in arguments.Entries)
        {
            if (!Identifiers.IsName(entry.Key.Text))
            {
                problems.Add(Problem.Create(DiagnosticCatalog.InvalidValue, entry.Key.Span, entry.Key.Text, "is not a valid argument name (letters, digits and '_')"));
                continue;
            }
            if (entry.Value is not YamlScalar value)
            {
                problems.Add(Problem.Create(DiagnosticCatalog.InvalidValue, entry.Value.Span, entry.Key.Text, "needs a default value (a number or true/false)"));
                continue;
            }
            Expr? expr = null;
            try
            {
                expr = ExpressionParser.Parse(value.Text);
            }
            catch (ExpressionException error)
            {
                problems.Add(Problem.Create(DiagnosticCatalog.ExpressionError, value.SpanOf(error.Start, error.End), $"Default of '{entry.Key.Text}': {error.Message}"));
            }
            result.Add(new ArgumentDefinition(entry.Key, value, expr));
        }
        return result;
    }

    private static void ReadBlocks(NetworkDocument document, YamlNodeSyntax node, List<Problem> problems)
    {
        if (node is not YamlMapping blocks)
        {
            problems.Add(Problem.Create(DiagnosticCatalog.InvalidValue, node.Span, "blocks", "must be a mapping of block definitions, e.g. 'basic(width, stride = 1): ...'"));
            return;
        }
        foreach (var entry in blocks.Entries)
        {
            var header = entry.Key;
            Expr parsed;
            try
            {
                parsed = ExpressionParser.Parse(header.Text);
            }
            catch (ExpressionException error)
            {
                problems.Add(Problem.Create(DiagnosticCatalog.BlockDefinition, header.SpanOf(error.Start, error.End),
                    $"Block header '{header.Text}': {error.Message}; write it as 'name(param, param = default)'"));
                continue;
            }
            var parameters = new List<BlockParameter>();
            string name;
            switch (parsed)
            {
                case NameExpr bare:
                    name = bare.Name;
                    break;
                case CallExpr call:
                    name = call.Name;
                    foreach (var positional in call.Positional)
                    {
                        if (positional is NameExpr parameter)
                            parameters.Add(new BlockParameter(parameter.Name, null, parameter.Start, parameter.End));
                        else
                            problems.Add(Problem.Create(DiagnosticCatalog.BlockDefinition, header.SpanOf(positional.Start, positional.End),
                                $"Block '{call.Name}': a parameter must be a name (optionally '= default')"));
                    }
                    foreach (var named in call.Named)
                        parameters.Add(new BlockParameter(named.Name, named.Value, named.NameStart, named.Value.End));
                    break;
                default:
                    problems.Add(Problem.Create(DiagnosticCatalog.BlockDefinition, header.Span,
                        $"Block header '{header.Text}' must be a name with optional parameters, e.g. 'bottleneck(width, stride = 1)'"));
                    continue;
            }
            var duplicate = parameters.GroupBy(p => p.Name).FirstOrDefault(g => g.Count() > 1);
            if (duplicate is not null)
            {
                var second = duplicate.ElementAt(1);
                problems.Add(Problem.Create(DiagnosticCatalog.DuplicateName, header.SpanOf(second.Start, second.End), $"Block '{name}' has two parameters named '{duplicate.Key}'"));
                continue;
            }
            if (document.Blocks.Any(block => block.Name == name))
            {
                problems.Add(Problem.Create(DiagnosticCatalog.DuplicateName, header.Span, $"The block '{name}' is defined twice"));
                continue;
            }
            document.Blocks.Add(new BlockDefinition(name, header, parameters, entry.Value));
        }
    }
}
