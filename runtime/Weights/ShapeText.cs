using System.Collections.Generic;

namespace CnnGen.Runtime.Weights;

/// <summary>One spelling of shapes, <c>[1000,512]</c>, for every message of this namespace.</summary>
internal static class ShapeText
{
    public static string Format(IEnumerable<long> shape) => "[" + string.Join(",", shape) + "]";
}
