using System.Collections.Generic;
using System.Globalization;

namespace CnnGen.Generator.Expressions;

/// <summary>
/// Recursive-descent parser for entries and arguments. The grammar is a small Python subset,
/// because the papers' authors and PyTorch users already read it:
/// <code>
/// cond    := or ('if' or 'else' cond)?
/// or      := and ('or' and)*        and := not ('and' not)*      not := 'not' not | compare
/// compare := sum (('=='|'!='|'&lt;'|'&lt;='|'&gt;'|'&gt;=') sum)?
/// sum     := term (('+'|'-') term)*   term := unary (('*'|'/'|'//'|'%') unary)*
/// unary   := '-' unary | primary      primary := number | string | true | false | name | call | '(' expr (',' expr)* ')'
/// call    := name '(' (arg (',' arg)*)? ')'   arg := name '=' cond | cond
/// </code>
/// </summary>
public sealed class ExpressionParser
{
    private readonly List<Token> _tokens;
    private int _position;

    private ExpressionParser(string text)
    {
        _tokens = Lexer.Tokenize(text);
    }

    /// <summary>Parses a whole expression; throws <see cref="ExpressionException"/> with the range at fault.</summary>
    public static Expr Parse(string text)
    {
        var parser = new ExpressionParser(text);
        var expr = parser.ParseConditional();
        parser.ExpectEnd();
        return expr;
    }

    private Token Current => _tokens[_position];

    private bool IsSymbol(string symbol) => Current.Kind == TokenKind.Symbol && Current.Text == symbol;

    private bool IsKeyword(string keyword) => Current.Kind == TokenKind.Name && Current.Text == keyword;

    private Token Advance() => _tokens[_position++];

    private void ExpectEnd()
    {
        if (Current.Kind != TokenKind.End)
            throw new ExpressionException($"unexpected '{Current.Text}'", Current.Start, Current.End);
    }

    private Token ExpectSymbol(string symbol)
    {
        if (!IsSymbol(symbol))
        {
            var found = Current.Kind == TokenKind.End ? "the end of the entry" : $"'{Current.Text}'";
            throw new ExpressionException($"expected '{symbol}' but found {found}", Current.Start, Current.End);
        }
        return Advance();
    }

    private Expr ParseConditional()
    {
        var value = ParseOr();
        if (!IsKeyword("if")) return value;
        Advance();
        var condition = ParseOr();
        if (!IsKeyword("else"))
            throw new ExpressionException("a conditional needs 'else': 'a if condition else b'", Current.Start, Current.End);
        Advance();
        var otherwise = ParseConditional();
        return new ConditionalExpr(condition, value, otherwise, value.Start, otherwise.End);
    }

    private Expr ParseOr()
    {
        var left = ParseAnd();
        while (IsKeyword("or"))
        {
            Advance();
            var right = ParseAnd();
            left = new BinaryExpr("or", left, right, left.Start, right.End);
        }
        return left;
    }

    private Expr ParseAnd()
    {
        var left = ParseNot();
        while (IsKeyword("and"))
        {
            Advance();
            var right = ParseNot();
            left = new BinaryExpr("and", left, right, left.Start, right.End);
        }
        return left;
    }

    private Expr ParseNot()
    {
        if (!IsKeyword("not")) return ParseCompare();
        var start = Advance().Start;
        var operand = ParseNot();
        return new UnaryExpr("not", operand, start, operand.End);
    }

    private Expr ParseCompare()
    {
        var left = ParseSum();
        foreach (var op in new[] { "==", "!=", "<=", ">=", "<", ">" })
        {
            if (!IsSymbol(op)) continue;
            Advance();
            var right = ParseSum();
            return new BinaryExpr(op, left, right, left.Start, right.End);
        }
        return left;
    }

    private Expr ParseSum()
    {
        var left = ParseTerm();
        while (IsSymbol("+") || IsSymbol("-"))
        {
            var op = Advance().Text;
            var right = ParseTerm();
            left = new BinaryExpr(op, left, right, left.Start, right.End);
        }
        return left;
    }

    private Expr ParseTerm()
    {
        var left = ParseUnary();
        while (IsSymbol("*") || IsSymbol("/") || IsSymbol("//") || IsSymbol("%"))
        {
            var op = Advance().Text;
            var right = ParseUnary();
            left = new BinaryExpr(op, left, right, left.Start, right.End);
        }
        return left;
    }

    private Expr ParseUnary()
    {
        if (!IsSymbol("-")) return ParsePrimary();
        var start = Advance().Start;
        var operand = ParseUnary();
        return new UnaryExpr("-", operand, start, operand.End);
    }

    private Expr ParsePrimary()
    {
        var token = Current;
        switch (token.Kind)
        {
            case TokenKind.Int:
                Advance();
                if (!long.TryParse(token.Text, NumberStyles.None, CultureInfo.InvariantCulture, out var integer))
                    throw new ExpressionException($"the number {token.Text} is too large", token.Start, token.End);
                return new IntLiteral(integer, token.Start, token.End);
            case TokenKind.Float:
                Advance();
                return new FloatLiteral(double.Parse(token.Text, NumberStyles.Float, CultureInfo.InvariantCulture), token.Start, token.End);
            case TokenKind.String:
                Advance();
                return new StringLiteral(token.Text, token.Start, token.End);
            case TokenKind.Name:
                Advance();
                if (token.Text is "true" or "True") return new BoolLiteral(true, token.Start, token.End);
                if (token.Text is "false" or "False") return new BoolLiteral(false, token.Start, token.End);
                return IsSymbol("(") ? ParseCall(token) : new NameExpr(token.Text, token.Start, token.End);
            case TokenKind.Symbol when token.Text == "(" || token.Text == "[":
                return ParseParenthesised();
            case TokenKind.End:
                throw new ExpressionException("the entry ends where a value was expected", token.Start, token.End);
            default:
                throw new ExpressionException($"unexpected '{token.Text}'", token.Start, token.End);
        }
    }

    private Expr ParseParenthesised()
    {
        var open = Advance();
        var close = open.Text == "(" ? ")" : "]";
        var items = new List<Expr> { ParseConditional() };
        var isTuple = open.Text == "[";
        while (IsSymbol(","))
        {
            Advance();
            isTuple = true;
            if (IsSymbol(close)) break;
            items.Add(ParseConditional());
        }
        var end = ExpectSymbol(close).End;
        return isTuple ? new TupleExpr(items, open.Start, end) : items[0];
    }

    private Expr ParseCall(Token name)
    {
        ExpectSymbol("(");
        var positional = new List<Expr>();
        var named = new List<NamedArgument>();
        while (!IsSymbol(")"))
        {
            if (Current.Kind == TokenKind.Name && _tokens[_position + 1].Kind == TokenKind.Symbol && _tokens[_position + 1].Text == "=")
            {
                var argName = Advance();
                Advance();
                named.Add(new NamedArgument(argName.Text, argName.Start, ParseConditional()));
            }
            else
            {
                var value = ParseConditional();
                if (named.Count > 0)
                    throw new ExpressionException("a positional argument cannot follow a named one", value.Start, value.End);
                positional.Add(value);
            }
            if (!IsSymbol(",")) break;
            Advance();
        }
        var end = ExpectSymbol(")").End;
        return new CallExpr(name.Text, name.End, positional, named, name.Start, end);
    }
}
