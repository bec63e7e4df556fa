using CnnGen.Generator.Analysis;
using CnnGen.Runtime.Weights;
using Spectre.Console;

namespace CnnGen.Tool;

/// <summary>
/// How <c>cnngen weights check</c> prints a <see cref="LoadReport"/>: one row for every key that does not simply
/// load (problems first, then what an option handles, then what cannot be checked), the loadable count, and a
/// summary line saying whether a strict load would succeed.
/// </summary>
internal static class CompatibilityTable
{
    public static void Write(IAnsiConsole console, string weightsPath, NetworkModel model, LoadReport report)
    {
        var shapes = model.StateDict.Tensors.ToDictionary(tensor => tensor.Name, tensor => "[" + string.Join(",", tensor.Shape) + "]");
        var table = new Table().Border(TableBorder.Rounded)
            .Title($"[bold]{Markup.Escape(Path.GetFileName(weightsPath))}[/] -> [bold]{Markup.Escape(model.ClassName)}[/]")
            .AddColumn(new TableColumn("Key").NoWrap()).AddColumn(new TableColumn("Status").NoWrap()).AddColumn("Detail");
        void Row(string key, string status, string detail) => table.AddRow(Markup.Escape(key), status, Markup.Escape(detail));

        foreach (var key in report.MissingKeys) Row(key, "[red]missing[/]", $"not in the file (network {shapes[key]})");
        foreach (var mismatch in report.ShapeMismatches)
            Row(mismatch.Key, "[red]shape[/]", $"file [{string.Join(",", mismatch.FileShape)}], network [{string.Join(",", mismatch.ModuleShape)}]");
        foreach (var mismatch in report.DtypeMismatches) Row(mismatch.Key, "[red]dtype[/]", $"file {mismatch.FileDtype}: {mismatch.Reason}");
        foreach (var key in report.UnexpectedKeys) Row(key, "[red]unexpected[/]", "not in the network");
        foreach (var note in report.SkippedKeys) Row(note.Key, "[yellow]skipped[/]", note.Reason);
        foreach (var note in report.AdaptedKeys) Row(note.Key, "[yellow]adapted[/]", note.Reason);
        foreach (var key in report.UncheckedKeys) Row(key, "[blue]not checked (C# layer)[/]", "under a layer written in C#, whose tensors only its class knows");
        if (table.Rows.Count > 0) console.Write(table);

        // Unwrapped lines, as the summary command prints its diagnostics: scripts and tests read them.
        var output = console.Profile.Out.Writer;
        output.WriteLine($"{report.LoadedCount} of {model.StateDict.Tensors.Count} network tensors loadable" +
                         (report.AdaptedKeys.Count > 0 ? $" ({report.AdaptedKeys.Count} adapted)" : "") +
                         (report.IgnoredKeys.Count > 0 ? $"; {report.IgnoredKeys.Count} num_batches_tracked on one side only, ignored" : ""));
        output.WriteLine(report.HasProblems
            ? $"does not fit: {report.DescribeProblems()}; a strict LoadWeights with these options would throw"
            : $"fits: a strict LoadWeights with these options would load {report.LoadedCount} tensors" +
              (report.SkippedKeys.Count > 0 ? $" and skip {report.SkippedKeys.Count}" : "") +
              (report.UncheckedKeys.Count > 0 ? $" ({report.UncheckedKeys.Count} file keys under C# layers not checked)" : ""));
    }
}
