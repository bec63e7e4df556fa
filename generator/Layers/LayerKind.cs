using System.Collections.Generic;

namespace CnnGen.Generator.Layers;

/// <summary>
/// One kind of layer of the DSL (<c>conv</c>, <c>bn</c>, <c>linear</c> ...). Each kind lives in its own
/// file and holds everything about it: its arguments, its shape rule and parameter formula, and the
/// TorchSharp code it becomes. Add a layer by adding a file and listing it in <see cref="LayerCatalog"/>.
/// </summary>
public abstract class LayerKind
{
    /// <summary>The name used in YAML.</summary>
    public abstract string Name { get; }

    /// <summary>Other accepted spellings (<c>conv2d</c>, <c>batchnorm</c>).</summary>
    public virtual IReadOnlyList<string> Aliases => System.Array.Empty<string>();

    public abstract IReadOnlyList<ParameterSpec> Parameters { get; }

    /// <summary>Checks the input, computes the output shape and counts; returns null after reporting a problem.</summary>
    public abstract LayerResult? Analyze(LayerContext context);
}
