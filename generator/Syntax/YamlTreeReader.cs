using System;
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
        public Frame(bool isMapping, Mark start, bool isFlowSequence = false)
        {
            IsMapping = isMapping;
            Start = start;
            IsFlowSequence = isFlowSequence;
        }

        public bool IsMapping { get; }
        public bool IsFlowSequence { get; }
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
        var lastEnd = new Mark();
        try
        {
            var protectedText = ProtectCallCommas(text);
            var parser = new Parser(new StringReader(protectedText));
            while (parser.MoveNext())
            {
                cancellationToken.ThrowIfCancellationRequested();
                var current = parser.Current!;
                lastEnd = current.End;
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
                        var endsAtComma = stack.Count > 0 && stack.Peek().IsFlowSequence && NextIsComma(protectedText, (int)scalar.End.Index);
                        Attach(stack, ref root, new YamlScalar(scalar.Value.Replace(ProtectedComma, ','), scalarSpan, contentStart, scalar.Style == ScalarStyle.Plain)
                        {
                            EndsAtFlowComma = endsAtComma,
                        }, problems);
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
                        stack.Push(new Frame(current is MappingStart, current.Start, current is SequenceStart { Style: SequenceStyle.Flow }));
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
        catch (InvalidOperationException exception)
        {
            // YamlDotNet's scanner can fail this way on some malformed input (found by the fuzz test);
            // it is still a syntax error of the file, after the last piece that parsed.
            problems.Add(Problem.Create(DiagnosticCatalog.YamlSyntax, ToSpan(lastEnd, lastEnd), "the YAML cannot be read after this point (" + exception.Message + ")"));
            return null;
        }
        return root;
    }

    /// <summary>Stands in for a comma inside parentheses while YAML parses the text (same length, so every location stays exact).</summary>
    internal const char ProtectedComma = '\uE000';

    /// <summary>
    /// In a YAML flow collection (<c>{ conv1: conv(64, k=3) }</c>, <c>[conv(64, k=3), relu]</c>) every
    /// comma separates items, which would cut a layer call in two. Commas inside parentheses are
    /// therefore hidden from the YAML parser and restored in the scalars it returns, so the compact
    /// flow style reads as intended. Quoted text and comments are left alone.
    /// </summary>
    internal static string ProtectCallCommas(string text)
    {
        if (text.IndexOf('(') < 0) return text;
        var chars = text.ToCharArray();
        var depth = 0;
        char quote = '\0';
        var comment = false;
        for (var i = 0; i < chars.Length; i++)
        {
            var c = chars[i];
            if (c == '\n') { depth = 0; quote = '\0'; comment = false; continue; }
            if (comment) continue;
            if (quote != '\0')
            {
                if (c == quote) quote = '\0';
                continue;
            }
            var previous = i == 0 ? '\n' : chars[i - 1];
            if (c == '#' && (previous == ' ' || previous == '\t' || previous == '\n')) { comment = true; continue; }
            if ((c == '\'' || c == '"') && depth == 0 && IsScalarStart(chars, i)) { quote = c; continue; }
            if (c == '(') depth++;
            else if (c == ')' && depth > 0) depth--;
            else if (c == ',' && depth > 0) chars[i] = ProtectedComma;
        }
        return new string(chars);
    }

    /// <summary>Whether a comma (a flow collection's separator) is the next character after <paramref name="index"/>, past blanks.</summary>
    private static bool NextIsComma(string text, int index)
    {
        for (var i = index; i < text.Length; i++)
        {
            if (text[i] is ' ' or '\t' or '\r' or '\n') continue;
            return text[i] == ',';
        }
        return false;
    }

    private static bool IsScalarStart(char[] chars, int index)
    {
        for (var j = index - 1; j >= 0; j--)
        {
            var c = chars[j];
            if (c == ' ' || c == '\t') continue;
            return c is ':' or '[' or '{' or ',' or '-' or '\n';
        }
        return true;
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
