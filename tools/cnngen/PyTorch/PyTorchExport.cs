using CnnGen.Generator.Expressions;
using CnnGen.Generator.Graph;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Model;

namespace CnnGen.Tool.PyTorch;

/// <summary>Why a network cannot be written as PyTorch, and where in the YAML.</summary>
/// <param name="Id"><see cref="PyTorchExport.Unsupported"/> or <see cref="PyTorchExport.UnsafeName"/>.</param>
public sealed record PyTorchProblem(string Id, SourceSpan Span, string Message);

/// <summary>The Python module (null when there are problems), the problems, and the classes it defines.</summary>
public sealed record PyTorchModule(string? Text, IReadOnlyList<PyTorchProblem> Problems, IReadOnlyList<string> Classes);

internal sealed class PyTorchExportException(string id, string message, SourceSpan span = default) : Exception(message)
{
    public string Id { get; } = id;
    public SourceSpan Span { get; } = span;
}

/// <summary>
/// <c>cnngen export --pytorch</c>: a PyTorch module written from the generator's <see cref="NetworkGraph"/> alone (no
/// second analysis of shapes or names). The module tree follows the graph's module paths, so <c>state_dict()</c> has
/// the graph's keys, shapes and order, the C# class's; a group of layers that is one step of the computation is an
/// <c>nn.Sequential</c> when it is a chain and a class with its own forward otherwise (one class for all instances of
/// a YAML block with the same code, their differences as constructor parameters); model arguments are the network's
/// constructor parameters with their defaults, sizes over them printed from the analysis's expressions. Every name
/// from the YAML is checked before anything is written: one Python could misread is a problem, never code.
/// </summary>
public static class PyTorchExport
{
    /// <summary>An operation, layer or construct with no PyTorch form here (a layer written in C#).</summary>
    public const string Unsupported = "CNNPT01";

    /// <summary>A name from the YAML that cannot be written into Python safely (a keyword, a name torch keeps, not ASCII).</summary>
    public const string UnsafeName = "CNNPT02";

    /// <summary>One module for the classes of one YAML file (its variants share their block classes).</summary>
    public static PyTorchModule Write(IReadOnlyList<NetworkGraph> graphs, string sourceName)
    {
        var classes = graphs.Select(graph => graph.ClassName).ToList();
        var problems = Check(graphs);
        if (problems.Count > 0) return new PyTorchModule(null, problems, classes);
        try
        {
            return new PyTorchModule(new ModuleWriter(graphs, sourceName).Write(), Array.Empty<PyTorchProblem>(), classes);
        }
        catch (PyTorchExportException exception)
        {
            return new PyTorchModule(null, new[] { new PyTorchProblem(exception.Id, exception.Span, exception.Message) }, classes);
        }
    }

    /// <summary>Every name and operation checked before any code is written.</summary>
    private static List<PyTorchProblem> Check(IReadOnlyList<NetworkGraph> graphs)
    {
        var problems = new List<PyTorchProblem>();
        void Add(string id, SourceSpan span, string message)
        {
            var problem = new PyTorchProblem(id, span, message);
            if (!problems.Contains(problem)) problems.Add(problem);
        }
        var classNames = new HashSet<string>(StringComparer.Ordinal);
        foreach (var graph in graphs)
        {
            var className = graph.ClassName;
            if (!PythonText.IsPlainName(className) || className.StartsWith("_", StringComparison.Ordinal) || PythonText.FileNames.Contains(className)
                || PythonHelpers.Names.Contains(className) || !classNames.Add(className))
                Add(UnsafeName, SourceSpan.None, $"the class name '{PythonText.Comment(className)}' cannot be a Python class here (ASCII letters, digits and '_', not a keyword, not one of the module's own names)");
            var locals = new HashSet<string>(StringComparer.Ordinal);
            foreach (var argument in graph.Arguments)
            {
                if (!IsLocalName(argument.Name) || !locals.Add(argument.Name))
                    Add(UnsafeName, SourceSpan.None, $"{PythonText.Comment(className)}: the model argument '{PythonText.Comment(argument.Name)}' cannot be a Python parameter name " +
                        "(ASCII letters, digits and '_', not a keyword, not beginning with '__', not a name the module itself uses such as torch, nn, F, math, round or int)");
                if (argument.Type is not ("int" or "double" or "bool"))
                    Add(Unsupported, SourceSpan.None, $"{PythonText.Comment(className)}: the model argument '{PythonText.Comment(argument.Name)}' has the type '{PythonText.Comment(argument.Type)}'");
            }
            foreach (var derived in graph.DerivedSizes)
                if (!IsLocalName(derived.Name) || !locals.Add(derived.Name))
                    Add(UnsafeName, SourceSpan.None, $"{PythonText.Comment(className)}: the derived size '{PythonText.Comment(derived.Name)}' cannot be a Python name");
            foreach (var aux in graph.AuxOutputs)
                if (!PythonText.IsPlainName(aux.Name) || aux.Name.StartsWith("_", StringComparison.Ordinal) || aux.Name is "output" or "with_aux" or "x"
                    || PythonText.FileNames.Contains(aux.Name) || PythonHelpers.Names.Contains(aux.Name))
                    Add(UnsafeName, SourceSpan.None, $"{PythonText.Comment(className)}: the aux head '{PythonText.Comment(aux.Name)}' cannot name an output field in Python");
            foreach (var node in graph.Nodes)
            {
                if (!OperationWriter.IsSupported(node.Operation)
                    || node.Operation is ActivationOp activation && !OperationWriter.IsKnownActivation(activation.Function)
                    || node.Operation is UpsampleOp { Mode: not ("bilinear" or "nearest") })
                    Add(Unsupported, node.Site, OperationWriter.Unsupported(node).Message);
                if (node.Path.Length == 0) continue;
                var segments = node.Path.Split('.');
                for (var i = 0; i < segments.Length; i++)
                    if (SegmentProblem(segments[i], i == 0) is { } why)
                        Add(UnsafeName, node.Site, $"the module name '{PythonText.Comment(segments[i])}' (in '{PythonText.Comment(node.Path)}') cannot be a PyTorch module name: {why}");
                foreach (var expr in node.Operation.SizeExpressions())
                    foreach (var leaf in PythonExpressions.Leaves(expr))
                        if (leaf is ArgumentRef argument && !graph.Arguments.Any(known => known.Name == argument.YamlName)
                            || leaf is DerivedRef derivedRef && !graph.DerivedSizes.Any(known => known.Name == derivedRef.Name))
                            Add(Unsupported, node.Site, $"'{PythonText.Comment(node.Path)}': a size names '{PythonText.Comment(expr.ToDsl())}', which is not a model argument or derived size");
            }
        }
        return problems;
    }

    /// <summary>A constructor parameter or local of the generated constructor.</summary>
    private static bool IsLocalName(string name) =>
        PythonText.IsPlainName(name) && !name.StartsWith("__", StringComparison.Ordinal) && !PythonText.FileNames.Contains(name) && !PythonHelpers.Names.Contains(name);

    /// <summary>Why a module path segment cannot be a PyTorch module name; null when it can.</summary>
    private static string? SegmentProblem(string segment, bool topLevel)
    {
        if (segment.Length == 0) return "it is empty";
        if (PythonText.IsDigits(segment)) return null;
        if (!(segment[0] is >= 'a' and <= 'z' or >= 'A' and <= 'Z') || segment.Any(c => !(c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or >= '0' and <= '9' or '_' or '-')))
            return "only ASCII letters, digits, '_' and '-' are written, beginning with a letter";
        if (PythonText.ModuleAttributes.Contains(segment)) return "nn.Module has an attribute by that name";
        if (topLevel && PythonText.NetworkMembers.Contains(segment)) return "the generated network class has a method or constant by that name";
        return null;
    }
}
