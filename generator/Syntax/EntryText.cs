using System.Globalization;

namespace CnnGen.Generator.Syntax;

/// <summary>
/// The two parts of a layer entry's text around its call: the repetition count in front (<c>4x bottleneck(...)</c>,
/// <c>n x block</c>, <c>(1 if first else 0) x unit</c>) and the name pattern behind (<c>... as denselayer{i+1}</c>). A
/// scanner over the characters: the call and the count's expression are parsed by the expression parser.
/// </summary>
public static class EntryText
{
    /// <summary>
    /// <c>count x </c> at the start of <paramref name="text"/> (after spaces): a whole number, a name, or a parenthesised
    /// expression without nested parentheses, then optional spaces, <c>x</c>, at least one space and more text.
    /// <paramref name="bodyStart"/> is where the rest begins. A name that ends in x (<c>box block</c>) counts as
    /// <c>bo x block</c>, as the entry syntax always read it.
    /// </summary>
    public static bool TryRepetition(string text, out int countStart, out int countLength, out int bodyStart)
    {
        countStart = SkipSpaces(text, 0);
        countLength = bodyStart = 0;
        if (countStart >= text.Length) return false;
        var first = text[countStart];
        if (first == '(')
        {
            var close = countStart + 1;
            while (close < text.Length && text[close] != ')' && text[close] != '(') close++;
            if (close >= text.Length || text[close] != ')') return false;
            countLength = close + 1 - countStart;
            return TimesAfter(text, close + 1, out bodyStart);
        }
        var isNumber = char.IsDigit(first);
        if (!isNumber && !IsNameStart(first)) return false;
        var end = countStart + 1;
        while (end < text.Length && (isNumber ? char.IsDigit(text[end]) : IsWordChar(text[end]))) end++;
        // The longest prefix that is followed by ' x ' (a shorter one is tried when the last letter is the x itself).
        for (var length = end - countStart; length >= 1; length--)
        {
            if (TimesAfter(text, countStart + length, out bodyStart))
            {
                countLength = length;
                return true;
            }
        }
        return false;
    }

    /// <summary>
    /// <c> as pattern</c> at the end of <paramref name="body"/>: spaces, <c>as</c>, spaces, then a pattern that starts with
    /// a letter or <c>_</c> and holds only word characters, braces, <c>+ - * /</c> and spaces (trailing spaces allowed).
    /// <paramref name="index"/> is where the first space before <c>as</c> is; the leftmost such place wins.
    /// </summary>
    public static bool TryNamedAs(string body, out int index, out string pattern)
    {
        for (index = 0; index < body.Length; index++)
        {
            if (!char.IsWhiteSpace(body[index])) continue;
            var at = SkipSpaces(body, index);
            if (at + 2 > body.Length || body[at] != 'a' || body[at + 1] != 's') continue;
            var start = SkipSpaces(body, at + 2);
            if (start == at + 2 || start >= body.Length || !IsNameStart(body[start])) continue;
            var end = start;
            while (end < body.Length && IsPatternChar(body[end])) end++;
            if (SkipSpaces(body, end) != body.Length) continue;
            pattern = body.Substring(start, end - start).Trim();
            return true;
        }
        (index, pattern) = (-1, "");
        return false;
    }

    /// <summary>Whether <paramref name="c"/> can start a name: an ASCII letter or <c>_</c>.</summary>
    public static bool IsNameStart(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z' or '_';

    /// <summary>A letter, decimal digit, combining mark or connector (what a name may continue with).</summary>
    public static bool IsWordChar(char c) => char.GetUnicodeCategory(c) switch
    {
        UnicodeCategory.UppercaseLetter or UnicodeCategory.LowercaseLetter or UnicodeCategory.TitlecaseLetter
            or UnicodeCategory.ModifierLetter or UnicodeCategory.OtherLetter or UnicodeCategory.NonSpacingMark
            or UnicodeCategory.DecimalDigitNumber or UnicodeCategory.ConnectorPunctuation => true,
        _ => false,
    };

    public static int SkipSpaces(string text, int position)
    {
        while (position < text.Length && char.IsWhiteSpace(text[position])) position++;
        return position;
    }

    private static bool IsPatternChar(char c) => IsWordChar(c) || c is '{' or '}' or '+' or '-' or '*' or '/' or ' ';

    /// <summary>Optional spaces, <c>x</c>, at least one space, then something.</summary>
    private static bool TimesAfter(string text, int position, out int bodyStart)
    {
        bodyStart = 0;
        position = SkipSpaces(text, position);
        if (position >= text.Length || text[position] != 'x') return false;
        var after = SkipSpaces(text, position + 1);
        if (after == position + 1 || after >= text.Length) return false;
        bodyStart = after;
        return true;
    }
}
