using System.Collections.Generic;
using System.IO;
using System.Threading;
using CnnGen.Generator.Diagnostics;
using CnnGen.Generator.Model;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;

namespace CnnGen.Generator.Syntax;

/// <summary>
/// Reads YAML text into <see cref="YamlNodeSyntax"/> with YamlDotNet's event parser. Building the
/// tree ourselves, with an explicit stack instead of recursion, lets us report duplicate keys,
/// refuse anchors and aliases (no alias-expansion bombs), cap nesting depth, and never overflow the
/// compiler's stack, whatever the file holds.
/// </summary>
public static class YamlTreeReader
{
    public const int MaxDepth = 100;

    private sealed class Frame
    {
        public Frame(bool isMapping, Mark start)
        {
            IsMapping = isMapping;
            Start = start;
        }

        public bool IsMapping { get; }
        public Mark Start { get; }
        public List<YamlNodeSyntax> Items { get; } = new();
        public List<KeyValuePair<YamlScalar, YamlNodeSyntax>> Entries { get; } = new();
        public HashSet<string> Keys { get; } = new();
        public YamlScalar? PendingKey { get; set; }
        public bool PendingKeyInvalid { get; set; }
    }

    public static YamlNodeSyntax? Read(string text, List<Problem> problems, CancellationToken cancellationToken = default)
    {
        var stack = new Stack<Frame>();
        YamlNodeSyntax? root = null;
        var skipDepth = 0;
        var documents = 0;
        try
        {
            var parser = new Parser(new StringReader(text));
            while (parser.MoveNext())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var current = parser.Current!;
                if (skipDepth > 0)
                {
                    if (current is MappingStart or SequenceStart) skipDepth++;
                    else if (current is MappingEnd or SequenceEnd) skipDepth--;
                    continue;
                }
                switch (current)
                {
                    case DocumentStart:
                        documents++;
                        if (documents == 2)
                        {
                            problems.Add(Problem.Create(DiagnosticCatalog.Unsupported, ToSpan(current.Start, current.End),
                                "A network file holds one YAML document; the documents after the first are ignored"));
                        }
                        if (documents > 1) return root;
                        break;
                    case AnchorAlias alias:
                        problems.Add(Problem.Create(DiagnosticCatalog.Unsupported, ToSpan(alias.Start, alias.End),
                            $"YAML aliases (*{alias.Value}) are not supported; define a block and use it by name instead"));
                        Attach(stack, ref root, new YamlScalar("", ToSpan(alias.Start, alias.End), ToSpan(alias.Start, alias.End), true), problems);
                        break;
                    case Scalar scalar:
                        ReportAnchor(scalar, problems);
                        var scalarSpan = ToSpan(scalar.Start, scalar.End);
                        var quoted = scalar.Style is ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted;
                        var contentStart = quoted ? ToSpan(scalar.Start, scalar.End).Slice(1, 0) : scalarSpan;
                        Attach(stack, ref root, new YamlScalar(scalar.Value, scalarSpan, contentStart, scalar.Style == ScalarStyle.Plain), problems);
                        break;
                    case SequenceStart or MappingStart:
                        ReportAnchor((NodeEvent)current, problems);
                        if (stack.Count >= MaxDepth)
                        {
                            problems.Add(Problem.Create(DiagnosticCatalog.Unsupported, ToSpan(current.Start, current.End),
                                $"The YAML nests deeper than {MaxDepth} levels; no network needs that"));
                            skipDepth = 1;
                            Attach(stack, ref root, new YamlScalar("", ToSpan(current.Start, current.End), ToSpan(current.Start, current.End), true), problems);
                            break;
                        }
                        stack.Push(new Frame(current is MappingStart, current.Start));
                        break;
                    case SequenceEnd or MappingEnd:
                        var frame = stack.Pop();
                        var span = ToSpan(frame.Start, current.End);
                        YamlNodeSyntax node = frame.IsMapping ? new YamlMapping(frame.Entries, span) : new YamlSequence(frame.Items, span);
                        Attach(stack, ref root, node, problems);
                        break;
                }
            }
        }
        catch (YamlException exception)
        {
            problems.Add(Problem.Create(DiagnosticCatalog.YamlSyntax, ToSpan(exception.Start, exception.End), CleanMessage(exception)));
            return null;
        }
        return root;
    }

    private static void ReportAnchor(NodeEvent node, List<Problem> problems)
    {
        if (!node.Anchor.IsEmpty)
        {
            problems.Add(Problem.Create(DiagnosticCatalog.Unsupported, ToSpan(node.Start, node.End),
                $"YAML anchors (&{node.Anchor}) are not supported; define a block and use it by name instead"));
        }
    }

    private static void Attach(Stack<Frame> stack, ref YamlNodeSyntax? root, YamlNodeSyntax node, List<Problem> problems)
    {
        if (stack.Count == 0)
        {
            root ??= node;
            return;
        }
        var frame = stack.Peek();
        if (!frame.IsMapping)
        {
            frame.Items.Add(node);
            return;
        }
        if (frame.PendingKey is null && !frame.PendingKeyInvalid)
        {
            if (node is YamlScalar key)
            {
                frame.PendingKey = key;
            }
            else
            {
                problems.Add(Problem.Create(DiagnosticCatalog.Unsupported, node.Span, "A key must be a plain name, not a list or a mapping"));
                frame.PendingKeyInvalid = true;
            }
            return;
        }
        if (frame.PendingKey is { } pending)
        {
            if (frame.Keys.Add(pending.Text))
                frame.Entries.Add(new KeyValuePair<YamlScalar, YamlNodeSyntax>(pending, node));
            else
                problems.Add(Problem.Create(DiagnosticCatalog.DuplicateName, pending.Span, $"The key '{pending.Text}' appears twice in the same mapping; the second one is ignored"));
        }
        frame.PendingKey = null;
        frame.PendingKeyInvalid = false;
    }

    internal static SourceSpan ToSpan(Mark start, Mark end)
    {
        // YamlDotNet's marks are one-based; the pipeline's spans are zero-based like Roslyn's.
        var startLine = (int)System.Math.Max(start.Line - 1, 0);
        var startColumn = (int)System.Math.Max(start.Column - 1, 0);
        var endLine = (int)System.Math.Max(end.Line - 1, startLine);
        var endColumn = (int)System.Math.Max(end.Column - 1, 0);
        if (endLine == startLine && endColumn < startColumn) endColumn = startColumn;
        return new SourceSpan((int)start.Index, (int)System.Math.Max(end.Index, start.Index), startLine, startColumn, endLine, endColumn);
    }

    private static string CleanMessage(YamlException exception)
    {
        // YamlDotNet prefixes "(Line: 3, Col: 5, Idx: 20) - (Line: ...): "; the location is reported separately.
        var message = exception.Message;
        var marker = message.IndexOf("): ", System.StringComparison.Ordinal);
        return marker >= 0 && message.StartsWith("(", System.StringComparison.Ordinal) ? message.Substring(marker + 3) : message;
    }
}
