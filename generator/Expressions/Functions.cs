using System;
using System.Collections.Generic;
using System.Linq;

namespace CnnGen.Generator.Expressions;

/// <summary>The functions arguments may call: <c>round</c>, <c>floor</c>, <c>ceil</c>, <c>int</c>, <c>min</c>, <c>max</c>, <c>abs</c>.</summary>
internal static class Functions
{
    public static readonly string[] Names = { "round", "floor", "ceil", "int", "min", "max", "abs", "make_divisible" };

    public static Value Call(CallExpr call, IReadOnlyList<Value> args)
    {
        if (call.Named.Count > 0)
            throw new ExpressionException($"{call.Name}() takes no named arguments", call.Named[0].NameStart, call.End);
        foreach (var (arg, index) in args.Select((a, i) => (a, i)))
            if (!arg.IsNumber)
                throw new ExpressionException($"{call.Name}() needs numbers, not {arg.KindName}", call.Positional[index].Start, call.Positional[index].End);
        var dynamic = new FunctionCall(call.Name, args.Select(a => a.AsExpr()));
        switch (call.Name)
        {
            case "round" or "floor" or "ceil" or "int" or "abs":
                RequireCount(call, args, 1);
                var x = args[0];
                var result = call.Name switch
                {
                    // Python 3 rounds half to even, as Math.Round does by default.
                    "round" => ToInt(call, Math.Round(x.AsDouble, MidpointRounding.ToEven)),
                    "floor" => ToInt(call, Math.Floor(x.AsDouble)),
                    "ceil" => ToInt(call, Math.Ceiling(x.AsDouble)),
                    "int" => ToInt(call, Math.Truncate(x.AsDouble)),
                    _ => x.Kind == ValueKind.Int ? Value.Of(checked(Math.Abs(x.Int))) : Value.Of(Math.Abs(x.Float)),
                };
                return Evaluator.Dynamic(result, dynamic, args.ToArray());
            case "min" or "max":
                if (args.Count < 2)
                    throw new ExpressionException($"{call.Name}() needs at least two arguments", call.Start, call.End);
                var best = args.Aggregate((a, b) => (call.Name == "min" ? b.AsDouble < a.AsDouble : b.AsDouble > a.AsDouble) ? b : a);
                return Evaluator.Dynamic(best with { Symbolic = null }, dynamic, args.ToArray());
            case "make_divisible":
                // torchvision's _make_divisible (MobileNet v2): round to the nearest multiple of the
                // divisor (default 8), never below it, and never more than 10% below the value.
                if (args.Count is < 1 or > 2)
                    throw new ExpressionException("make_divisible(value, divisor = 8) takes one or two arguments", call.Start, call.End);
                var divisor = args.Count == 2 ? (long)args[1].AsDouble : 8;
                if (divisor < 1) throw new ExpressionException("make_divisible needs a positive divisor", call.Start, call.End);
                return Evaluator.Dynamic(Value.Of(MakeDivisible(args[0].AsDouble, divisor)), new FunctionCall(call.Name, new[] { args[0].AsExpr(), new ConstantExpr(Value.Of(divisor)) }), args.ToArray());
            default:
                throw new ExpressionException($"'{call.Name}' is not a function (functions: {string.Join(", ", Names)})", call.Start, call.NameEnd);
        }
    }

    private static void RequireCount(CallExpr call, IReadOnlyList<Value> args, int count)
    {
        if (args.Count != count)
            throw new ExpressionException($"{call.Name}() takes {count} argument(s), got {args.Count}", call.Start, call.End);
    }

    private static Value ToInt(CallExpr call, double value)
    {
        if (double.IsNaN(value) || value > long.MaxValue || value < long.MinValue)
            throw new ExpressionException($"{call.Name}() gives {value}, which is not a 64-bit integer", call.Start, call.End);
        return Value.Of((long)value);
    }

    public static long MakeDivisible(double value, long divisor)
    {
        var rounded = Math.Max(divisor, (long)(value + divisor / 2.0) / divisor * divisor);
        return rounded < 0.9 * value ? rounded + divisor : rounded;
    }
}
