using System.Collections.Generic;
using System.Globalization;

namespace CnnGen.Generator.Expressions;

/// <summary>Splits an entry such as <c>conv(64, k=3, s=2 if i == 0 else 1)</c> into tokens.</summary>
internal static class Lexer
{
    private static readonly string[] TwoCharSymbols = { "==", "!=", "<=", ">=", "//", "**" };

    public static List<Token> Tokenize(string text)
    {
        var tokens = new List<Token>();
        var i = 0;
        while (i < text.Length)
        {
            var c = text[i];
            if (char.IsWhiteSpace(c)) { i++; continue; }
            var start = i;
            if (char.IsDigit(c) || (c == '.' && i + 1 < text.Length && char.IsDigit(text[i + 1])))
            {
                var isFloat = false;
                while (i < text.Length && (char.IsDigit(text[i]) || text[i] == '_')) i++;
                if (i < text.Length && text[i] == '.') { isFloat = true; i++; while (i < text.Length && char.IsDigit(text[i])) i++; }
                if (i < text.Length && (text[i] == 'e' || text[i] == 'E'))
                {
                    var j = i + 1;
                    if (j < text.Length && (text[j] == '+' || text[j] == '-')) j++;
                    if (j < text.Length && char.IsDigit(text[j])) { isFloat = true; i = j; while (i < text.Length && char.IsDigit(text[i])) i++; }
                }
                tokens.Add(new Token(isFloat ? TokenKind.Float : TokenKind.Int, text.Substring(start, i - start).Replace("_", ""), start, i));
                continue;
            }
            if (char.IsLetter(c) || c == '_')
            {
                while (i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_' || text[i] == '-' && IsNameContinuation(text, i) || text[i] == '.' && IsPathContinuation(text, i))) i++;
                tokens.Add(new Token(TokenKind.Name, text.Substring(start, i - start), start, i));
                continue;
            }
            if (c == '"' || c == '\'')
            {
                i++;
                while (i < text.Length && text[i] != c) i++;
                if (i >= text.Length) throw new ExpressionException("unterminated string", start, text.Length);
                i++;
                tokens.Add(new Token(TokenKind.String, text.Substring(start + 1, i - start - 2), start, i));
                continue;
            }
            if (i + 1 < text.Length)
            {
                var two = text.Substring(i, 2);
                if (System.Array.IndexOf(TwoCharSymbols, two) >= 0)
                {
                    tokens.Add(new Token(TokenKind.Symbol, two, i, i + 2));
                    i += 2;
                    continue;
                }
            }
            if ("()+-*/%,=<>[]".IndexOf(c) >= 0)
            {
                tokens.Add(new Token(TokenKind.Symbol, c.ToString(CultureInfo.InvariantCulture), i, i + 1));
                i++;
                continue;
            }
            throw new ExpressionException($"unexpected character '{c}'", i, i + 1);
        }
        tokens.Add(new Token(TokenKind.End, "", text.Length, text.Length));
        return tokens;
    }

    /// <summary>A dot followed by a letter continues a name: an output inside a nested mapping read by its path (<c>body.layer1</c>).</summary>
    private static bool IsPathContinuation(string text, int i) =>
        i + 1 < text.Length && (char.IsLetter(text[i + 1]) || text[i + 1] == '_');

    /// <summary>
    /// Block names may contain dashes as in the papers (<c>inception-A</c>, <c>reduction-B</c>); a dash
    /// belongs to a name only when a letter follows it directly, so <c>in-1</c> is still a subtraction.
    /// </summary>
    private static bool IsNameContinuation(string text, int i) =>
        i + 1 < text.Length && char.IsLetter(text[i + 1]) && i > 0 && char.IsLetter(text[i - 1]) && char.IsUpper(text[i + 1]);
}
