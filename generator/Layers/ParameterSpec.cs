using System.Collections.Generic;
using CnnGen.Generator.Expressions;

namespace CnnGen.Generator.Layers;

/// <summary>What an argument may hold.</summary>
public enum ArgumentType
{
    /// <summary>A positive integer (channel counts, features).</summary>
    Count,
    /// <summary>Any integer (an argument of a layer written in C#, declared <c>int</c>).</summary>
    Integer,
    /// <summary>A non-negative integer, or a pair (h, w) for asymmetric kernels, strides and paddings.</summary>
    Pair,
    /// <summary>A padding: like <see cref="Pair"/>, or <c>same</c> (keep the size at stride 1) or <c>valid</c> (0).</summary>
    Padding,
    /// <summary>A real number (dropout rate, epsilon).</summary>
    Number,
    Bool,
    /// <summary>An earlier output of the network by name (<c>upsample(to=enc1)</c>); optional ones default to the empty string.</summary>
    Output,
}

/// <summary>One argument of a layer: its name, short aliases (<c>k</c> for <c>kernel</c>), type and default.</summary>
public sealed record ParameterSpec(string Name, ArgumentType Type, Value? Default, params string[] Aliases)
{
    public bool IsRequired => Default is null;

    public static ParameterSpec Required(string name, ArgumentType type, params string[] aliases) => new(name, type, null, aliases);

    public static ParameterSpec Optional(string name, ArgumentType type, Value @default, params string[] aliases) => new(name, type, @default, aliases);

    public IEnumerable<string> AllNames
    {
        get
        {
            yield return Name;
            foreach (var alias in Aliases) yield return alias;
        }
    }
}
