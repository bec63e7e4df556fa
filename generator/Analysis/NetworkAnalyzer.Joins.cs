using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Layers;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// Joins of named outputs: <c>concat(enc4, up)</c> (on channels, as U-Net's crop-and-copy and YOLOv8's neck),
/// <c>add(lateral, top_down)</c> (an FPN's merge) and <c>mul(x, scale)</c> (LR-ASPP's gate; the second may be
/// 1x1 and is broadcast over height and width). Their operands are outputs named earlier (NetworkAnalyzer.Outputs),
/// never the previous output implicitly. In a list a join takes the next index, as Ultralytics' parameter-free
/// <c>Concat</c> is <c>model.12</c>; in a mapping its key names its output like any other entry's.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    private static readonly string[] JoinNames = { "concat", "add", "mul" };

    /// <summary>A join entry: one of <see cref="JoinNames"/> that no block of the file and no layer is named.</summary>
    private bool IsJoin(Entry entry) => JoinNames.Contains(entry.Name) && !_blocks.ContainsKey(entry.Name) && FindLayer(entry.Name) is null;

    private Flow RunJoin(Entry entry, Flow flow, Group group, string? name, Scope scope)
    {
        var unknown = flow with { Shape = null };
        var operands = entry.Call?.Positional ?? System.Array.Empty<Expressions.Expr>();
        var usage = $"'{entry.Name}' joins outputs named earlier, e.g. '{entry.Name}(enc4, up)'";
        if (entry.Count is not null)
        {
            Report(DiagnosticCatalog.InvalidValue, entry.Scalar.Span, entry.Name, $"cannot repeat: {usage}");
            return unknown;
        }
        if (entry.From is { } from)
        {
            Report(DiagnosticCatalog.UnknownArgument, entry.SpanOf(from.Value), Where(), entry.Name, "from", $"; {usage}");
            return unknown;
        }
        if (entry.Call?.Named is { Count: > 0 } named)
        {
            Report(DiagnosticCatalog.UnknownArgument, entry.SpanOf(named[0].Value), Where(), entry.Name, named[0].Name, $"; {usage}");
            return unknown;
        }
        if (operands.Count < 2 || (entry.Name == "mul" && operands.Count != 2))
        {
            Report(DiagnosticCatalog.InvalidValue, entry.Scalar.Span, entry.Name, entry.Name == "mul" ? $"multiplies exactly two outputs: 'mul(x, scale)'" : $"needs at least two outputs: {usage}");
            return unknown;
        }
        var parts = new List<Flow>();
        foreach (var operand in operands)
            if (ReadOutput(operand, entry, scope, $"{entry.Name}()") is { } part) parts.Add(part);
        if (parts.Count != operands.Count) return unknown;
        if (parts.Any(part => part.Shape is null)) return new Flow(parts[0].Var, null);
        if (!CountInstance(entry.Scalar.Span)) return unknown;
        // The index a list gives every item, as nn.Sequential and Ultralytics count them.
        var index = name is null ? group.NextIndex() : null;

        var names = operands.Select(operand => ((Expressions.NameExpr)operand).Name).ToList();
        var where = group.Path.Length == 0 ? (name ?? entry.Name) : group.ChildPath(name ?? entry.Name);
        // The join's module path as Ultralytics numbers a list's items ('model.11'), for a size constraint's message.
        var joinPath = index is null ? where : group.Path.Length == 0 ? index : group.ChildPath(index);
        var described = string.Join(", ", names.Select((operand, i) => $"{operand} ({parts[i].Shape})"));
        var shapes = parts.Select(part => part.Shape!).ToList();
        switch (entry.Name)
        {
            case "concat":
                if (shapes.Any(shape => !shape.IsMap) || shapes.Any(shape => shape.Height != shapes[0].Height || shape.Width != shapes[0].Width))
                {
                    Report(DiagnosticCatalog.JoinShapes, entry.Scalar.Span, $"'{where}'", "concat", "concatenate", described,
                        shapes.All(shape => shape.IsMap)
                            ? "their heights and widths must agree: crop the larger with 'crop(to=...)' or resize one with 'upsample(to=...)'"
                            : "concat joins feature maps (C x H x W) on channels");
                    return new Flow(parts[0].Var, null);
                }
                return Concatenate(parts, group.Path, $"{where}: concat({string.Join(", ", names)})", entry.Scalar.Span, join: joinPath);
            case "add":
                if (shapes.Any(shape => !shape.SameAs(shapes[0])))
                {
                    Report(DiagnosticCatalog.JoinShapes, entry.Scalar.Span, $"'{where}'", "add", "add", described, "added outputs must have the same shape");
                    return new Flow(parts[0].Var, null);
                }
                var sum = parts[0];
                for (var i = 1; i < parts.Count; i++)
                {
                    var output = NewVar();
                    var shape = Joined(shapes[0], shapes.Take(i + 1), joinPath, entry.Scalar.Span);
                    _model.Steps.Add(new ForwardStep(output, new[] { sum.Var, parts[i].Var }, "Forward.Add({0}, {1})", "Forward.Add_({0}, {1})",
                        $"{where}: add({string.Join(", ", names.Take(i + 1))}) -> {shape}")
                        { Path = group.Path, OutputShape = shape, Operation = new Graph.AddOp(1.0), Site = entry.Scalar.Span, Blocks = BlockFrames() });
                    sum = new Flow(output, shape);
                }
                return sum;
            default:
                var (x, s) = (shapes[0], shapes[1]);
                var fits = x.IsMap && s.IsMap && s.Channels.Int == x.Channels.Int && ((s.Height == 1 && s.Width == 1) || (s.Height == x.Height && s.Width == x.Width));
                if (!fits)
                {
                    Report(DiagnosticCatalog.JoinShapes, entry.Scalar.Span, $"'{where}'", "mul", "multiply", described,
                        "the second must have the first's channels and its height and width, or 1x1 (broadcast over the map)");
                    return new Flow(parts[0].Var, null);
                }
                return Multiply(parts[0], parts[1], group.Path, $"{where}: mul({names[0]}, {names[1]}) -> {x}", entry.Scalar.Span);
        }
    }
}
