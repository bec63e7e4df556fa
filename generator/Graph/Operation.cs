using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Layers;

namespace CnnGen.Generator.Graph;

/// <summary>
/// What a node of the <see cref="NetworkGraph"/> computes, with its attributes: a convolution's channels, kernel,
/// stride and padding, a batch norm's eps, an add's scale. A layer kind's operation is declared in the layer's own
/// file, beside its shape rule and parameter formula; the joins of the composite constructs (add, multiply,
/// concatenate, slice) are in JoinOperations.cs. Operations are values: two equal networks have equal graphs.
/// Targets read them by type; a target that meets one it does not know says so by <see cref="Kind"/>.
/// </summary>
public abstract record Operation
{
    /// <summary>The operation's name in the graph's JSON and in messages: <c>conv</c>, <c>add</c> ...</summary>
    public abstract string Kind { get; }

    /// <summary>
    /// The expressions over model arguments among the attributes (its sizes and rates that follow an argument): what
    /// tells the layers built from <c>num_classes</c>, and which derived sizes rebuilding them needs. Read off the
    /// record's properties, so a new operation needs nothing here.
    /// </summary>
    public IEnumerable<SizeExpr> SizeExpressions() =>
        GetType().GetRuntimeProperties().SelectMany(property => property.GetValue(this) switch
        {
            Dim { Expr: { } expr } => new[] { expr },
            Scalar { Expr: { } expr } => new[] { expr },
            IEnumerable<CustomLayerArgument> arguments => arguments.Where(argument => argument.Expr is not null).Select(argument => argument.Expr!),
            _ => Enumerable.Empty<SizeExpr>(),
        });
}
