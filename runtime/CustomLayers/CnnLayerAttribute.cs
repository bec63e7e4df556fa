using System;

namespace CnnGen.Runtime;

/// <summary>
/// Makes a TorchSharp module of your project a layer of the CnnGen DSL. The generator reads these
/// constants at build time (it never runs your code), checks every YAML use against the rules, and
/// the generated network verifies once, at construction, that the module really has the declared
/// number of parameters.
/// </summary>
/// <remarks>
/// The class must derive from <c>Module&lt;Tensor, Tensor&gt;</c>, take a feature map [N, C, H, W] and return
/// a new tensor [N, Channels, H', W'], and have a public constructor whose first parameter is the input
/// channel count (<c>long</c> or <c>int</c>) followed by one parameter per declared argument, in order
/// (<c>int</c>: <c>int</c> or <c>long</c>; <c>float</c>: <c>double</c> or <c>float</c>; <c>bool</c>: <c>bool</c>).
/// Rules are expressions of the DSL (<c>+ - * / // % min max ceil ...</c>) over the arguments and
/// <c>in</c> (the input channels); <see cref="Parameters"/> and <see cref="MultiplyAccumulates"/> also see
/// <c>out</c> (the output channels), <see cref="MultiplyAccumulates"/> the output size <c>H</c> and <c>W</c>.
/// See docs/dsl.md, "Your own layers".
/// <code>
/// [CnnLayer("cbam", Arguments = "reduction: int = 16, kernel: int = 7",
///     Parameters = "2 * in * (in // reduction) + 2 * kernel * kernel")]
/// public sealed class Cbam : Module&lt;Tensor, Tensor&gt; { public Cbam(long inChannels, int reduction, int kernel) ... }
/// </code>
/// </remarks>
[AttributeUsage(AttributeTargets.Class, AllowMultiple = false, Inherited = false)]
public sealed class CnnLayerAttribute : Attribute
{
    /// <param name="name">The layer's name in YAML, e.g. <c>cbam</c>; it must not be a built-in layer's.</param>
    public CnnLayerAttribute(string name) => Name = name;

    /// <summary>The layer's name in YAML.</summary>
    public string Name { get; }

    /// <summary>
    /// The arguments, in constructor order: <c>name: type</c> or <c>name: type = default</c>, separated by
    /// commas; types are <c>int</c>, <c>float</c> and <c>bool</c>. Empty: the layer takes no arguments.
    /// </summary>
    public string Arguments { get; set; } = "";

    /// <summary>The output channel count, an expression; <c>in</c> (the default) keeps the input's.</summary>
    public string Channels { get; set; } = "in";

    /// <summary>
    /// The spatial stride, an expression: height and width become <c>ceil(H / stride)</c> (as a convolution
    /// with padding k // 2 computes them) or, with <see cref="CeilMode"/> false, <c>floor(H / stride)</c>
    /// (as a pooling window of that size). The default, 1, keeps the size.
    /// </summary>
    public string Stride { get; set; } = "1";

    /// <summary>Whether a stride rounds the output size up (the default) or down.</summary>
    public bool CeilMode { get; set; } = true;

    /// <summary>The parameter count (every parameter the module registers), an expression; the generated network checks it at construction.</summary>
    public string Parameters { get; set; } = "0";

    /// <summary>Multiply-accumulates of one sample, an expression (may use <c>H</c> and <c>W</c>, the output size); 0 when not given.</summary>
    public string MultiplyAccumulates { get; set; } = "0";
}
