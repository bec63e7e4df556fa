using System;
using System.Collections.Generic;
using System.Linq;

namespace CnnGen.Generator.Expressions;

/// <summary>
/// Evaluates argument expressions. Integer arithmetic is exact and checked (64-bit): an overflow is
/// reported, never wrapped. <c>/</c> stays an integer when it divides exactly (so <c>in/2</c> is a
/// channel count) and becomes a float otherwise; <c>//</c> is floor division as in Python.
/// </summary>
public static class Evaluator
{
    public delegate Value? NameLookup(string name);

    public static Value Evaluate(Expr expr, NameLookup lookup)
    {
        switch (expr)
        {
            case IntLiteral literal: return Value.Of(literal.Value);
            case FloatLiteral literal: return Value.Of(literal.Value);
            case BoolLiteral literal: return Value.Of(literal.Value);
            case StringLiteral literal: return Value.Of(literal.Value);
            case NameExpr name:
                return lookup(name.Name) ?? throw new ExpressionException($"'{name.Name}' is not defined here", name.Start, name.End);
            case TupleExpr tuple:
                return Value.Tuple(tuple.Items.Select(item => Evaluate(item, lookup)).ToList());
            case UnaryExpr unary:
                return EvaluateUnary(unary, Evaluate(unary.Operand, lookup));
            case BinaryExpr binary when binary.Op is "and" or "or":
                return EvaluateLogical(binary, lookup);
            case BinaryExpr binary:
                return EvaluateBinary(binary, Evaluate(binary.Left, lookup), Evaluate(binary.Right, lookup));
            case ConditionalExpr conditional:
                var condition = Evaluate(conditional.Condition, lookup);
                RequireBool(condition, conditional.Condition);
                var whenTrue = Evaluate(conditional.WhenTrue, lookup);
                var whenFalse = Evaluate(conditional.WhenFalse, lookup);
                var chosen = condition.Bool ? whenTrue : whenFalse;
                return condition.Symbolic is null && whenTrue.Symbolic is null && whenFalse.Symbolic is null
                    ? chosen
                    : chosen.WithSymbolic(new ConditionalOp(condition.AsExpr(), whenTrue.AsExpr(), whenFalse.AsExpr()));
            case CallExpr call:
                return Functions.Call(call, call.Positional.Select(arg => Evaluate(arg, lookup)).ToList());
            default:
                throw new ExpressionException("unsupported expression", expr.Start, expr.End);
        }
    }

    private static void RequireBool(Value value, Expr at)
    {
        if (value.Kind != ValueKind.Bool)
            throw new ExpressionException($"a condition must be true or false, not {value.KindName} ({value})", at.Start, at.End);
    }

    private static Value EvaluateUnary(UnaryExpr unary, Value operand)
    {
        if (unary.Op == "not")
        {
            RequireBool(operand, unary.Operand);
            return Dynamic(Value.Of(!operand.Bool), new UnaryOp("not", operand.AsExpr()), operand);
        }
        return operand.Kind switch
        {
            ValueKind.Int => Dynamic(Value.Of(checked(-operand.Int)), new UnaryOp("-", operand.AsExpr()), operand),
            ValueKind.Float => Dynamic(Value.Of(-operand.Float), new UnaryOp("-", operand.AsExpr()), operand),
            _ => throw new ExpressionException($"cannot negate {operand.KindName}", unary.Start, unary.End),
        };
    }

    private static Value EvaluateLogical(BinaryExpr binary, NameLookup lookup)
    {
        var left = Evaluate(binary.Left, lookup);
        RequireBool(left, binary.Left);
        var right = Evaluate(binary.Right, lookup);
        RequireBool(right, binary.Right);
        var result = binary.Op == "and" ? left.Bool && right.Bool : left.Bool || right.Bool;
        return Dynamic(Value.Of(result), new BinaryOp(binary.Op, left.AsExpr(), right.AsExpr()), left, right);
    }

    private static Value EvaluateBinary(BinaryExpr binary, Value left, Value right)
    {
        Value result;
        try
        {
            result = binary.Op switch
            {
                "==" => Value.Of(AreEqual(left, right)),
                "!=" => Value.Of(!AreEqual(left, right)),
                "<" or "<=" or ">" or ">=" => Compare(binary, left, right),
                _ => Arithmetic(binary, left, right),
            };
        }
        catch (OverflowException)
        {
            throw new ExpressionException($"{left} {binary.Op} {right} overflows 64-bit integers", binary.Start, binary.End);
        }
        return Dynamic(result, new BinaryOp(binary.Op, left.AsExpr(), right.AsExpr()), left, right);
    }

    private static bool AreEqual(Value left, Value right) =>
        left.IsNumber && right.IsNumber ? left.AsDouble == right.AsDouble : left.ToString() == right.ToString();

    private static Value Compare(BinaryExpr binary, Value left, Value right)
    {
        if (!left.IsNumber || !right.IsNumber)
            throw new ExpressionException($"cannot compare {left.KindName} with {right.KindName}", binary.Start, binary.End);
        var a = left.AsDouble;
        var b = right.AsDouble;
        return Value.Of(binary.Op switch { "<" => a < b, "<=" => a <= b, ">" => a > b, _ => a >= b });
    }

    private static Value Arithmetic(BinaryExpr binary, Value left, Value right)
    {
        if (!left.IsNumber || !right.IsNumber)
            throw new ExpressionException($"'{binary.Op}' needs numbers, not {left.KindName} and {right.KindName}", binary.Start, binary.End);
        if ((binary.Op is "/" or "//" or "%") && right.AsDouble == 0)
            throw new ExpressionException("division by zero", binary.Start, binary.End);
        if (left.Kind == ValueKind.Int && right.Kind == ValueKind.Int)
        {
            long a = left.Int, b = right.Int;
            return binary.Op switch
            {
                "+" => Value.Of(checked(a + b)),
                "-" => Value.Of(checked(a - b)),
                "*" => Value.Of(checked(a * b)),
                "/" => a % b == 0 ? Value.Of(a / b) : Value.Of((double)a / b),
                "//" => Value.Of(FloorDivide(a, b)),
                "%" => Value.Of(a - FloorDivide(a, b) * b),
                _ => throw new ExpressionException($"unknown operator '{binary.Op}'", binary.Start, binary.End),
            };
        }
        double x = left.AsDouble, y = right.AsDouble;
        return binary.Op switch
        {
            "+" => Value.Of(x + y),
            "-" => Value.Of(x - y),
            "*" => Value.Of(x * y),
            "/" => Value.Of(x / y),
            "//" => Value.Of(Math.Floor(x / y)),
            "%" => Value.Of(x - Math.Floor(x / y) * y),
            _ => throw new ExpressionException($"unknown operator '{binary.Op}'", binary.Start, binary.End),
        };
    }

    private static long FloorDivide(long a, long b)
    {
        var quotient = a / b;
        return (a % b != 0 && (a < 0) != (b < 0)) ? quotient - 1 : quotient;
    }

    /// <summary>Marks <paramref name="result"/> dynamic when any operand depends on a model argument.</summary>
    internal static Value Dynamic(Value result, SizeExpr symbolic, params Value[] operands) =>
        operands.Any(operand => operand.IsDynamic) ? result.WithSymbolic(symbolic) : result;
}
