using System.Globalization;
using CnnGen.Generator;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Layers;
using Spectre.Console;

namespace CnnGen.Tool;

/// <summary>The commands; each reads files, runs <see cref="CompileNetwork"/> and prints.</summary>
public static class Commands
{
    public static int Usage()
    {
        Console.Error.WriteLine("usage: cnngen summary <file.cnn.yaml> [--depth N] | cnngen check <file.cnn.yaml>... | cnngen diagram <file.cnn.yaml> [-o net.svg] [--class Name] | cnngen zoo [folder] | cnngen explain <CNN00NN> | cnngen generated <file.cnn.yaml> [--namespace N] [--class Name] | cnngen graph <file.cnn.yaml> [--json] [--class Name] | " + ExportCommand.Usage + " | " + WeightsCheckRequest.Usage);
        return 2;
    }

    /// <summary>Prints a diagnostic's help page, as <c>rustc --explain</c> does; exit code 2 for an ID that does not exist.</summary>
    public static int Explain(string id, TextWriter? output = null, TextWriter? error = null)
    {
        if (HelpPages.Find(id) is { } page)
        {
            (output ?? Console.Out).Write(page);
            return 0;
        }
        (error ?? Console.Error).WriteLine($"'{id}' is not a CnnGen diagnostic; the IDs are {string.Join(", ", HelpPages.Ids)}");
        return 2;
    }

    private static CompileResult Compile(string path) => Compile(path, out _);

    /// <summary>The network with its project's C# layers; <paramref name="declarationProblems"/>: what is wrong in their attributes, as lines to print.</summary>
    private static CompileResult Compile(string path, out IReadOnlyList<(string Line, bool IsError)> declarationProblems)
    {
        var layers = ProjectLayers.Find(path);
        declarationProblems = CustomLayerSet.Problems(layers).Select(pair => (Format(pair.Spec.SourcePath, pair.Problem), pair.Problem.Severity == ProblemSeverity.Error)).ToList();
        return CompileNetwork.Run(Path.GetFullPath(path), File.ReadAllText(path), "CnnGen.Networks", layers);
    }

    private static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

    /// <summary>As the compiler prints a diagnostic: <c>file(line,col): error CNN0004: message</c>.</summary>
    public static string Format(string path, CnnGen.Generator.Model.Problem problem) =>
        $"{path}({problem.Span.StartLine + 1},{problem.Span.StartColumn + 1}): {(problem.Severity == ProblemSeverity.Error ? "error" : "warning")} {problem.Id}: {problem.Message}";

    public static int Check(string[] paths)
    {
        var errors = 0;
        var printed = new HashSet<string>(StringComparer.Ordinal);
        foreach (var path in paths)
        {
            if (!File.Exists(path))
            {
                Console.Error.WriteLine($"{path}: no such file");
                errors++;
                continue;
            }
            var result = Compile(path, out var declarationProblems);
            // Files of one project share its C# layers: each declaration problem is printed once.
            foreach (var (line, isError) in declarationProblems.Where(problem => printed.Add(problem.Line)))
            {
                Console.WriteLine(line);
                if (isError) errors++;
            }
            foreach (var problem in result.Problems)
            {
                Console.WriteLine(Format(path, problem));
                if (problem.Severity == ProblemSeverity.Error) errors++;
            }
        }
        Console.WriteLine(errors == 0 ? $"{paths.Length} file(s): no errors" : $"{errors} error(s)");
        return errors == 0 ? 0 : 1;
    }

    /// <summary>
    /// The layer table as a tree (groups with their totals, indented; <paramref name="depth"/> limits how deep
    /// rows go, null for all), the totals and the published number. A file with errors still shows the
    /// layers the analysis got through, with their shapes, and then the errors (exit code 1).
    /// </summary>
    public static int Summary(string path, int? depth = null, IAnsiConsole? console = null)
    {
        console ??= StandardOutput();
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"{path}: no such file");
            return 2;
        }
        var result = Compile(path);
        foreach (var model in result.Models.Where(model => !result.HasErrors || model.Layers.Count > 0))
            console.Write(SummaryTable(model, depth, result.HasErrors));
        if (!result.HasErrors) return 0;
        // The diagnostics as the compiler prints them, one a line: unwrapped, so editors and scripts can read them.
        var output = console.Profile.Out.Writer;
        foreach (var problem in result.Problems) output.WriteLine(Format(path, problem));
        output.WriteLine($"{result.Problems.Count(problem => problem.Severity == ProblemSeverity.Error)} error(s)");
        return 1;
    }

    /// <summary>
    /// The terminal's console; where standard output is a file or a pipe, one without colours or wrapping, so each
    /// row stays one line however wide (Spectre.Console otherwise assumes 80 columns there and COLUMNS does not help).
    /// </summary>
    private static IAnsiConsole StandardOutput()
    {
        if (!Console.IsOutputRedirected) return AnsiConsole.Console;
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(Console.Out),
        });
        console.Profile.Width = UnwrappedWidth;
        return console;
    }

    /// <summary>Wider than any summary row (a table is only as wide as its cells unless told to expand).</summary>
    private const int UnwrappedWidth = 10_000;

    /// <summary>What the network returns: "output 1000", or each of several outputs by name ("outputs p2 256x56x56, ...").</summary>
    private static string Returns(CnnGen.Generator.Analysis.NetworkModel model) =>
        model.ReturnsRecord
            ? "outputs " + string.Join(", ", model.NamedOutputs.Select(output => $"{output.Name} {output.Shape}"))
            : "output " + (model.Output?.ToString() ?? "?");

    private static Table SummaryTable(CnnGen.Generator.Analysis.NetworkModel model, int? depth, bool partial)
    {
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"[bold]{Markup.Escape(model.ClassName)}[/]  input {model.Input} -> {(partial ? "output ?" : Markup.Escape(Returns(model)))}")
            // Only the type may wrap: a wrapped name loses its indentation, a wrapped number or shape reads as two.
            .AddColumn(new TableColumn("Layer").NoWrap()).AddColumn("Type").AddColumn(new TableColumn("Output").NoWrap())
            .AddColumn(new TableColumn("Params").RightAligned().NoWrap()).AddColumn(new TableColumn("MACs").RightAligned().NoWrap());
        foreach (var row in LayerTree.Build(model.Layers, depth, model.Steps, model.Root))
        {
            // Non-breaking spaces: Spectre trims ordinary leading spaces from a cell.
            var name = new string('\u00A0', 2 * (row.Level - 1)) + Markup.Escape(row.Name);
            table.AddRow(row.IsGroup ? $"[bold]{name}[/]" : name, Markup.Escape(row.Type), row.Output ?? "", Count(row.Parameters), Count(row.Macs));
        }
        table.Caption(partial
            ? $"the {model.Layers.Count} layer(s) analysed before the error(s) below; {Count(model.ParameterCount)} parameters, {Count(model.Macs)} MACs so far"
            : $"{Count(model.ParameterCount)} parameters, {Count(model.Macs)} MACs" +
              (model.PublishedParameters is { } published ? $"; published {Count(published)} ({Markup.Escape(model.PublishedSource ?? "")})" : "") +
              $"; smallest input {model.Input.Channels.Int}x{model.MinimumInput.Height}x{model.MinimumInput.Width}");
        return table;
    }

    /// <summary>
    /// Prints the C# the build generates for the file (what <c>EmitCompilerGeneratedFiles</c> would write), every
    /// class or one; with errors, the diagnostics instead (exit code 1). Also the snapshot tests' second process.
    /// </summary>
    public static int Generated(string path, string @namespace, string? className, TextWriter? output = null)
    {
        output ??= Console.Out;
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"{path}: no such file");
            return 2;
        }
        var layers = ProjectLayers.Find(path);
        var result = CompileNetwork.Run(Path.GetFullPath(path), File.ReadAllText(path), @namespace, layers);
        if (result.HasErrors) return Check(new[] { path });
        var networks = result.Networks.Where(network => className is null || network.ClassName == className).ToList();
        if (networks.Count == 0)
        {
            Console.Error.WriteLine($"{path} has no class {className} (it has {string.Join(", ", result.Networks.Select(n => n.ClassName))})");
            return 2;
        }
        foreach (var network in networks) output.Write(network.Source);
        return 0;
    }

    /// <summary>
    /// Prints the analysed network as a graph in JSON (docs/graph-json.md): one class, or the only one; with errors,
    /// the diagnostics instead (exit code 1).
    /// </summary>
    public static int Graph(string path, string? className, Stream? output = null)
    {
        if (!File.Exists(path))
        {
            Console.Error.WriteLine($"{path}: no such file");
            return 2;
        }
        var result = Compile(path);
        if (result.HasErrors) return Check(new[] { path });
        var models = result.Models.Where(model => model.Graph is not null).ToList();
        var model = className is null ? (models.Count == 1 ? models[0] : null) : models.FirstOrDefault(m => m.ClassName == className);
        if (model is null)
        {
            Console.Error.WriteLine(className is null
                ? $"{path} has {models.Count} classes ({string.Join(", ", models.Select(m => m.ClassName))}); choose one with --class"
                : $"{path} has no class {className} (it has {string.Join(", ", models.Select(m => m.ClassName))})");
            return 2;
        }
        CnnGen.Generator.Graph.NetworkGraph graph;
        try
        {
            graph = model.Graph!;
        }
        catch (InvalidOperationException error)
        {
            // A step the graph cannot describe is the generator's fault, reported as the build reports CNN0017.
            Console.Error.WriteLine($"{path}: the network's graph could not be built ({error.Message}); please report it with the file attached");
            return 1;
        }
        using var stdout = output is null ? Console.OpenStandardOutput() : null;
        GraphJson.Write(graph, output ?? stdout!);
        (output ?? stdout!).Write("\n"u8);
        return 0;
    }

    public static int Diagram(string path, string output, string? className)
    {
        var result = Compile(path);
        if (result.HasErrors) return Check(new[] { path });
        var models = result.Models.Where(m => className is null || m.ClassName == className).ToList();
        if (models.Count == 0)
        {
            Console.Error.WriteLine($"{path} has no class {className} (it has {string.Join(", ", result.Models.Select(m => m.ClassName))})");
            return 2;
        }
        File.WriteAllText(output, Tool.Diagram.Render(models[0]));
        Console.WriteLine($"{models[0].ClassName}: {output}");
        return 0;
    }

    public static int Zoo(string folder)
    {
        if (!Directory.Exists(folder))
        {
            Console.Error.WriteLine($"{folder}: no such folder");
            return 2;
        }
        var table = new Table().Border(TableBorder.Rounded)
            .AddColumn("Class").AddColumn("Input").AddColumn("Output").AddColumn(new TableColumn("Parameters").RightAligned())
            .AddColumn(new TableColumn("Published").RightAligned()).AddColumn("Source").AddColumn("File");
        var errors = 0;
        foreach (var path in Directory.GetFiles(folder, "*.cnn.yaml").Order(StringComparer.Ordinal))
        {
            var result = Compile(path);
            if (result.HasErrors) errors++;
            foreach (var model in result.Models)
            {
                var published = model.PublishedParameters is { } p ? (p == model.ParameterCount ? Count(p) : $"[red]{Count(p)}[/]") : "-";
                table.AddRow(model.ClassName, model.Input.ToString(), Markup.Escape(model.ReturnsRecord ? string.Join(", ", model.NamedOutputs.Select(output => output.Shape)) : model.Output?.ToString() ?? "?"), Count(model.ParameterCount), published,
                    Markup.Escape(model.PublishedSource ?? ""), Path.GetFileName(path));
            }
        }
        AnsiConsole.Write(table);
        return errors == 0 ? 0 : 1;
    }
}
