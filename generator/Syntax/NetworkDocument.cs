using System.Collections.Generic;
using CnnGen.Generator.Expressions;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Syntax;

/// <summary>The top level of a <c>*.cnn.yaml</c> file, read but not yet analysed.</summary>
public sealed class NetworkDocument
{
    public string Path { get; set; } = "";
    public YamlScalar? Name { get; set; }
    public string? Description { get; set; }
    public YamlNodeSyntax? Input { get; set; }
    public YamlScalar? PublishedParams { get; set; }
    public string? PublishedSource { get; set; }
    public List<ArgumentDefinition> Arguments { get; } = new();
    public List<BlockDefinition> Blocks { get; } = new();
    public YamlNodeSyntax? Layers { get; set; }
    public List<VariantDefinition> Variants { get; } = new();
    public YamlNodeSyntax? Aux { get; set; }
    /// <summary><c>head: fc</c>: the module path of the classifier head (what a new class count replaces).</summary>
    public YamlScalar? Head { get; set; }
    /// <summary>
    /// <c>outputs: [out, aux]</c> or <c>outputs: { p2: fpn.p2, ... }</c>: what the network returns, in order (a typed
    /// record when several); null: the last entry's output.
    /// </summary>
    public IReadOnlyList<NetworkOutputSyntax>? Outputs { get; set; }
    public SourceSpan FileStart { get; set; }
}

/// <summary>One of <c>outputs:</c>: the name it is returned under and the layers' output it is (the same scalar in a list).</summary>
public sealed record NetworkOutputSyntax(YamlScalar Name, YamlScalar Reference);

/// <summary>A model argument: <c>num_classes: 1000</c>.</summary>
public sealed record ArgumentDefinition(YamlScalar Key, YamlScalar DefaultText, Expr? Default);

/// <summary>A block: <c>bottleneck(width, stride = 1): { ... }</c>.</summary>
public sealed record BlockDefinition(string Name, YamlScalar Header, IReadOnlyList<BlockParameter> Parameters, YamlNodeSyntax Body);

public sealed record BlockParameter(string Name, Expr? Default, int Start, int End);

/// <summary>
/// One class generated from a family file: <c>ResNet18: { args: { ... }, params: 11689512 }</c>. The
/// arguments it sets are fixed at compile time in that class (they may shape the network).
/// </summary>
public sealed record VariantDefinition(YamlScalar Name, IReadOnlyList<ArgumentDefinition> Arguments, YamlScalar? PublishedParams, string? Description)
{
    /// <summary>Where this variant's count comes from; null for the file's <c>published.source</c>. A variant's
    /// number differs from its siblings', so its source may too (torchvision's inception_v3 with aux_logits=True).</summary>
    public string? PublishedSource { get; init; }
}
