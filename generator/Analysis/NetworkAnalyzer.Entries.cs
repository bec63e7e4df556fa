using System;
using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Syntax;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// One entry such as <c>conv(64, k=7, s=2, p=3, bias=false)</c>, <c>bottleneck(128, stride=2)</c> or
/// <c>4x bottleneck(128, stride = 2 if i == 0 else 1)</c>: parse it, resolve the layer or block, bind
/// and check its arguments, and add it to the network.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    /// <summary>A parsed entry: an optional repetition count and the call; offsets are into the scalar's text.</summary>
    private sealed record Entry(YamlScalar Scalar, Expr? Count, int CountOffset, string Name, CallExpr? Call, int Offset, Expr Target)
    {
        /// <summary>From <c>... as denselayer{i+1}</c>: how repetitions are named instead of 0, 1, 2.</summary>
        public string? NamePattern { get; init; }

        /// <summary>The <c>from=</c> argument: the output the entry reads instead of the previous one (see NetworkAnalyzer.Outputs).</summary>
        public NamedArgument? From { get; init; }

        /// <summary>The <c>output=</c> argument: the name a list item's output takes for the entries after it (see NetworkAnalyzer.Outputs).</summary>
        public NamedArgument? Output { get; init; }

        public Model.SourceSpan SpanOf(Expr expr) => Scalar.SpanOf(Offset + expr.Start, Offset + expr.End);

        public Model.SourceSpan NameSpan => Scalar.SpanOf(Offset + Target.Start, Offset + Target.Start + Name.Length);
    }

    /// <summary>
    /// Runs an entry. <paramref name="name"/> is its key in a mapping; null inside a list, where it
    /// takes the group's next index and a list-bodied block splices its layers into the list.
    /// </summary>
    private Flow RunEntry(YamlScalar scalar, Flow flow, Group group, string? name, Scope scope, bool anonymous = false, string? namePattern = null)
    {
        var output = RunEntryItself(scalar, flow, group, name, scope, anonymous, namePattern);
        // Only a parsed entry can carry output=; one that failed to parse has been reported and is not parsed again.
        if (_parsedEntries.TryGetValue(scalar, out var entry) && entry.Output is { } outputName) NameEntryOutput(entry, outputName, name, output, scope);
        return output;
    }

    private Flow RunEntryItself(YamlScalar scalar, Flow flow, Group group, string? name, Scope scope, bool anonymous, string? namePattern)
    {
        var entry = ParseEntry(scalar);
        if (entry is not null) entry = ChosenByParameter(entry, scope);
        if (entry is not null && IsJoin(entry)) return RunJoin(entry, flow, group, name, scope);
        if (entry is null || !Resolve(entry, name, anonymous)) return flow with { Shape = null };
        if (StartOf(entry, flow, scope) is not { } start) return flow with { Shape = null };
        flow = start;
        if (namePattern is not null)
        {
            if (entry.Count is null)
            {
                Report(DiagnosticCatalog.InvalidValue, scalar.Span, namePattern, "names repetitions, so its value must repeat, e.g. 'block{i+4}: 8x middle'");
                return flow with { Shape = null };
            }
            entry = entry with { NamePattern = namePattern };
        }

        if (entry.Count is null)
        {
            // 'block(...) as unit1' names a single instance inside a list.
            var single = entry.NamePattern is null ? name ?? (anonymous ? null : "") : RepetitionName(entry, 0, scope);
            return single is null && entry.NamePattern is not null ? flow with { Shape = null } : RunInstance(entry, null, flow, group, single, scope, anonymous);
        }

        var count = EvaluateCount(entry, scope);
        if (count is null) return flow with { Shape = null };
        // '3x block(...)' under a key is a group of that name holding the repetitions (torchvision's layer1.0, layer1.1 ...).
        var target = name is null ? group : group.AddGroup(name, scalar.Span);
        for (var i = 0; i < count; i++)
        {
            var childName = RepetitionName(entry, i, scope);
            if (childName is null) return flow with { Shape = null };
            flow = RunInstance(entry, i, flow, target, childName, scope, anonymous);
            if (flow.Shape is null) return flow;
        }
        return flow;
    }

    /// <summary>
    /// An entry named by a block parameter that holds a layer or block name (<c>act = 'hardswish'</c>, then
    /// <c>- act</c>) stands for that layer or block: MobileNetV3's rows choose ReLU or hardswish this way.
    /// </summary>
    private Entry ChosenByParameter(Entry entry, Scope scope)
    {
        if (_blocks.ContainsKey(entry.Name) || FindLayer(entry.Name) is not null) return entry;
        if (scope.Lookup(entry.Name) is not { Kind: ValueKind.String, Text: { } chosen }) return entry;
        return _blocks.ContainsKey(chosen) || FindLayer(chosen) is not null ? entry with { Name = chosen } : entry;
    }

    /// <summary>Reports an entry that names neither a block nor a layer.</summary>
    private bool Resolve(Entry entry, string? name, bool anonymous)
    {
        if (_blocks.ContainsKey(entry.Name) || FindLayer(entry.Name) is not null) return true;
        var hint = Suggestions.DidYouMean(entry.Name, _blocks.Keys.Concat(LayerNames));
        Report(DiagnosticCatalog.UnknownLayer, entry.NameSpan, entry.Name,
            hint.Length > 0 ? hint : $" (layers: {string.Join(", ", LayerCatalog.All.Select(k => k.Name))}" + (_blocks.Count > 0 ? $"; blocks: {string.Join(", ", _blocks.Keys)})" : ")"));
        return false;
    }

    /// <summary>
    /// One instance of a block or layer. <paramref name="childName"/>: the child's name; "" for the
    /// group's next index, with a list-bodied block splicing its layers into the enclosing list.
    /// </summary>
    private Flow RunInstance(Entry entry, int? index, Flow flow, Group group, string? childName, Scope scope, bool anonymous)
    {
        if (_blocks.TryGetValue(entry.Name, out var block))
            return Instantiate(block, entry, scope, index, flow, group, string.IsNullOrEmpty(childName) ? null : childName);

        var kind = FindLayer(entry.Name)!;
        if (IsUnusable(kind, entry)) return flow with { Shape = null };
        var layerScope = new Scope(scope);
        if (index is not null) layerScope.Set("i", Value.Of(index.Value));
        var args = Bind(kind, entry, layerScope, flow.Shape);
        if (args is null) return flow with { Shape = null };
        var name = anonymous && childName is null ? kind.Name : string.IsNullOrEmpty(childName) ? group.NextIndex() : childName!;
        return AddLayer(kind, args, entry.Scalar, flow, group, name, registerName: !(anonymous && childName is null));
    }

    /// <summary>The name of repetition <paramref name="index"/>: its index, or the entry's 'as' pattern (<c>as denselayer{i+1}</c>).</summary>
    private string? RepetitionName(Entry entry, int index, Scope scope)
    {
        if (entry.NamePattern is null) return "";
        var builder = new System.Text.StringBuilder();
        var text = entry.NamePattern;
        var position = 0;
        while (position < text.Length)
        {
            var open = text.IndexOf('{', position);
            if (open < 0) { builder.Append(text, position, text.Length - position); break; }
            builder.Append(text, position, open - position);
            var close = text.IndexOf('}', open);
            if (close < 0)
            {
                Report(DiagnosticCatalog.ExpressionError, entry.Scalar.Span, $"The name pattern '{text}' has an unclosed '{{'");
                return null;
            }
            var patternScope = new Scope(scope);
            patternScope.Set("i", Value.Of(index));
            try
            {
                builder.Append(Evaluator.Evaluate(ExpressionParser.Parse(text.Substring(open + 1, close - open - 1)), name => patternScope.Lookup(name)));
            }
            catch (ExpressionException error)
            {
                Report(DiagnosticCatalog.ExpressionError, entry.Scalar.Span, $"The name pattern '{text}': {error.Message}");
                return null;
            }
            position = close + 1;
        }
        var result = builder.ToString();
        if (Identifiers.IsStateDictName(result) || result.All(char.IsDigit)) return result;
        Report(DiagnosticCatalog.InvalidValue, entry.Scalar.Span, result, "is not a valid layer name (from the 'as' pattern)");
        return null;
    }

    /// <summary>
    /// Entries already parsed, by the YAML scalar they were read from: a block's entries are met again
    /// at each instantiation (DenseNet-201: 98 dense layers), and parsing them was a fifth of the pipeline.
    /// Only successes are kept, so a mistake is reported at every instantiation, with its site, as before.
    /// </summary>
    private readonly Dictionary<YamlScalar, Entry> _parsedEntries = new();

    private Entry? ParseEntry(YamlScalar scalar)
    {
        if (_parsedEntries.TryGetValue(scalar, out var parsed)) return parsed;
        var entry = ParseEntryText(scalar);
        if (entry is not null) _parsedEntries[scalar] = entry;
        return entry;
    }

    private Entry? ParseEntryText(YamlScalar scalar)
    {
        var text = scalar.Text;
        Expr? count = null;
        var countOffset = 0;
        var offset = 0;
        if (EntryText.TryRepetition(text, out var countStart, out var countLength, out var bodyStart))
        {
            countOffset = countStart;
            var countText = text.Substring(countOffset, countLength);
            try
            {
                // A literal, a name, or a parenthesised expression such as (1 if first else 0).
                count = long.TryParse(countText, out var literal) ? new IntLiteral(literal, 0, countText.Length) : ExpressionParser.Parse(countText);
            }
            catch (ExpressionException error)
            {
                Report(DiagnosticCatalog.ExpressionError, scalar.SpanOf(countOffset + error.Start, countOffset + error.End), $"Repetition count: {error.Message}");
                return null;
            }
            offset = bodyStart;
        }
        string? pattern = null;
        var body = text.Substring(offset);
        if (EntryText.TryNamedAs(body, out var asIndex, out var named))
        {
            pattern = named;
            body = body.Substring(0, asIndex);
        }
        Expr target;
        try
        {
            target = ExpressionParser.Parse(body);
        }
        catch (ExpressionException error)
        {
            // An unclosed call is a flow list's doing only where a comma of that list ended the entry; elsewhere the ')' is simply missing.
            var unclosed = text.Count(c => c == '(') > text.Count(c => c == ')');
            var hint = !unclosed ? ""
                : scalar.EndsAtFlowComma ? " (inside a YAML flow list '[a, b]' every comma separates items: quote the entry or write the list one item per line)"
                : " (the call is missing a ')')";
            Report(DiagnosticCatalog.ExpressionError, scalar.SpanOf(offset + error.Start, offset + error.End), $"'{text.Trim()}': {error.Message}{hint}");
            return null;
        }
        switch (target)
        {
            case NameExpr bare:
                return new Entry(scalar, count, countOffset, bare.Name, null, offset, target) { NamePattern = pattern };
            case CallExpr call:
                var (rest, from, output) = SplitFromAndOutput(call);
                return new Entry(scalar, count, countOffset, call.Name, rest, offset, target) { NamePattern = pattern, From = from, Output = output };
            default:
                Report(DiagnosticCatalog.ExpressionError, scalar.Span,
                    $"'{text.Trim()}' is not a layer entry; write a layer or block name with optional arguments, e.g. 'conv(64, k=3)' or '3x bottleneck(64)'");
                return null;
        }
    }

    private long? EvaluateCount(Entry entry, Scope scope)
    {
        var span = entry.Scalar.SpanOf(entry.CountOffset, entry.CountOffset + (entry.Count!.End - entry.Count.Start));
        Value value;
        try
        {
            value = Evaluator.Evaluate(entry.Count, name => scope.Lookup(name));
        }
        catch (ExpressionException error)
        {
            Report(DiagnosticCatalog.ExpressionError, span, $"Repetition count: {error.Message}");
            return null;
        }
        if (value.Kind != ValueKind.Int || value.Int < 0)
        {
            Report(DiagnosticCatalog.InvalidValue, span, "repetition count", $"must be a whole number (0 leaves the entry out), not {value}");
            return null;
        }
        if (value.IsDynamic)
        {
            Report(DiagnosticCatalog.Unsupported, span, "A repetition count must be fixed at compile time; it cannot depend on a model argument");
            return null;
        }
        if (value.Int > MaxLayerInstances)
        {
            Report(DiagnosticCatalog.Unsupported, span, $"{value.Int:N0} repetitions is more than the {MaxLayerInstances:N0} layers a network may have");
            return null;
        }
        return value.Int;
    }

    private Flow Instantiate(BlockDefinition block, Entry entry, Scope callerScope, int? index, Flow flow, Group group, string? name, bool hoist = false)
    {
        if (_instantiations.Any(frame => frame.Block == block))
        {
            var chain = string.Join(" -> ", _instantiations.Reverse().Select(frame => frame.Block.Name).Concat(new[] { block.Name }));
            Report(DiagnosticCatalog.BlockDefinition, entry.NameSpan, $"The block '{block.Name}' uses itself ({chain}); blocks cannot be recursive");
            return flow with { Shape = null };
        }
        _usedBlocks.Add(block.Name);
        var blockScope = BindBlock(block, entry, callerScope, index, flow);
        if (blockScope is null) return flow with { Shape = null };

        // A list-bodied block in a list (or a hoisted one) splices its layers into the enclosing group.
        var spliced = hoist || (name is null && block.Body is not YamlMapping);
        var target = spliced ? group : group.AddGroup(name ?? group.NextIndex(), entry.Scalar.Span);
        _instantiations.Push((block, entry.Scalar.Span, target.Path));
        try
        {
            return RunNode(block.Body, flow, target, blockScope);
        }
        finally
        {
            _instantiations.Pop();
        }
    }

    /// <summary>Binds a block call's arguments to its parameters; defaults see the model arguments.</summary>
    private Scope? BindBlock(BlockDefinition block, Entry entry, Scope callerScope, int? index, Flow flow)
    {
        var input = flow.Shape;
        var callScope = new Scope(callerScope);
        if (index is not null) callScope.Set("i", Value.Of(index.Value));
        if (input is not null) callScope.Set("in", input.Channels);
        var blockScope = new Scope(_globals);
        if (input is not null) blockScope.Set("in", input.Channels);
        SetBlockPosition(block, blockScope);
        NameOutput(blockScope, InputName, flow);

        var call = entry.Call;
        var positional = call?.Positional ?? Array.Empty<Expr>();
        var named = call?.Named ?? Array.Empty<NamedArgument>();
        var ok = true;
        if (positional.Count > block.Parameters.Count)
        {
            Report(DiagnosticCatalog.UnknownArgument, entry.SpanOf(positional[block.Parameters.Count]), Where(), block.Name,
                $"#{block.Parameters.Count + 1}", $"; it takes {block.Parameters.Count} argument(s): {string.Join(", ", block.Parameters.Select(p => p.Name))}");
            ok = false;
        }
        var given = new Dictionary<string, Expr>();
        for (var i = 0; i < Math.Min(positional.Count, block.Parameters.Count); i++)
            given[block.Parameters[i].Name] = positional[i];
        var misspelled = new HashSet<string>(); // as in Bind: a misspelled argument is not reported again as missing
        foreach (var argument in named)
        {
            if (block.Parameters.All(p => p.Name != argument.Name))
            {
                if (Suggestions.Closest(argument.Name, block.Parameters.Select(p => p.Name)) is { } guess) misspelled.Add(guess);
                Report(DiagnosticCatalog.UnknownArgument, entry.Scalar.SpanOf(entry.Offset + argument.NameStart, entry.Offset + argument.NameStart + argument.Name.Length),
                    Where(), block.Name, argument.Name, Suggestions.DidYouMean(argument.Name, block.Parameters.Select(p => p.Name)));
                ok = false;
                continue;
            }
            if (given.ContainsKey(argument.Name))
            {
                Report(DiagnosticCatalog.UnknownArgument, entry.SpanOf(argument.Value), Where(), block.Name, argument.Name, " a second time");
                ok = false;
                continue;
            }
            given[argument.Name] = argument.Value;
        }
        foreach (var parameter in block.Parameters)
        {
            if (given.TryGetValue(parameter.Name, out var expr))
            {
                var value = TryEvaluate(expr, callScope, entry, input is not null);
                if (value is null) ok = false;
                else blockScope.Set(parameter.Name, value);
            }
            else if (parameter.Default is not null)
            {
                var value = TryEvaluate(parameter.Default, blockScope, new Entry(block.Header, null, 0, block.Name, null, 0, parameter.Default), input is not null);
                if (value is null) ok = false;
                else blockScope.Set(parameter.Name, value);
            }
            else
            {
                if (!misspelled.Contains(parameter.Name)) Report(DiagnosticCatalog.MissingArgument, entry.NameSpan, Where(), block.Name, parameter.Name);
                ok = false;
            }
        }
        return ok ? blockScope : null;
    }

    private string Where() => _instantiations.Count == 0 ? "In the network" : $"In block '{_instantiations.Peek().Block.Name}'";

    private Value? TryEvaluate(Expr expr, Scope scope, Entry entry, bool report)
    {
        try
        {
            return Evaluator.Evaluate(expr, name => scope.Lookup(name));
        }
        catch (ExpressionException error)
        {
            // With an unknown input shape ('in' undefined) the real error was already reported upstream.
            if (report) Report(DiagnosticCatalog.ExpressionError, entry.Scalar.SpanOf(entry.Offset + error.Start, entry.Offset + error.End), error.Message);
            return null;
        }
        catch (OverflowException)
        {
            if (report) Report(DiagnosticCatalog.ExpressionError, entry.SpanOf(expr), "the value overflows 64-bit integers");
            return null;
        }
    }
}
