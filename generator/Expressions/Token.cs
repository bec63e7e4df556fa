namespace CnnGen.Generator.Expressions;

internal enum TokenKind
{
    Int,
    Float,
    Name,
    String,
    Symbol,
    End,
}

internal readonly record struct Token(TokenKind Kind, string Text, int Start, int End);
