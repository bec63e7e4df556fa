using System.Collections.Generic;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// How <see cref="ModuleWeightsExtensions.LoadWeights(TorchSharp.torch.nn.Module, string, WeightsOptions)"/>
/// treats a file whose ends differ from the module's: a head for another class count, aux heads the class
/// lacks, a stem for another number of input channels. Every key an option handles is listed in
/// <see cref="LoadReport.SkippedKeys"/> or <see cref="LoadReport.AdaptedKeys"/> with the reason; anything
/// no option covers is a problem as before (a strict load throws and loads nothing).
/// </summary>
/// <remarks>
/// The head, stem and aux-head names come from the module when it is a generated network
/// (<see cref="IGeneratedNetwork"/>: the YAML's <c>head:</c>, its first convolution, its <c>aux:</c> heads);
/// for another module set <see cref="HeadPath"/>, <see cref="StemConvPath"/> and <see cref="AuxHeadPrefixes"/>.
/// </remarks>
public sealed record WeightsOptions
{
    /// <summary>
    /// The defaults, which the one-argument <see cref="ModuleWeightsExtensions.LoadWeights(TorchSharp.torch.nn.Module, string)"/>
    /// uses: strict, aux heads the class lacks dropped and reported, nothing else handled.
    /// </summary>
    public static WeightsOptions Default { get; } = new();

    /// <summary>
    /// The exact load: strict, and no option on, so every file tensor must be one of the module's with its shape
    /// and every module tensor must be in the file (a file's aux heads the class lacks are unexpected keys and
    /// throw); <see cref="LoadReport.SkippedKeys"/> and <see cref="LoadReport.AdaptedKeys"/> stay empty.
    /// <c>model.LoadWeights(path, WeightsOptions.Exact)</c>; <c>WeightsOptions.Exact with { Strict = false }</c> loads
    /// what fits exactly and reports the rest.
    /// </summary>
    public static WeightsOptions Exact { get; } = new() { DropAuxHeads = false };

    /// <summary>True (default): a problem no option covers throws <see cref="WeightsLoadException"/> and nothing is loaded. False: what fits is loaded and the rest reported.</summary>
    public bool Strict { get; init; } = true;

    /// <summary>
    /// Off by default. On: head tensors (under <see cref="HeadPath"/>) whose shape differs from the file's are
    /// skipped and keep their initial values ("new head (file [1000,2048], module [10,2048])"), so a 10-class
    /// network loads a 1000-class file for fine-tuning. Off because it changes what the network computes;
    /// under strict a differing head throws unless asked for.
    /// </summary>
    public bool NewHead { get; init; }

    /// <summary>
    /// On by default. File tensors under an aux-head prefix (<c>aux1.</c>, <c>AuxLogits.</c>) the module has no
    /// tensor under at all are dropped and reported ("aux head not in this class"): they only feed training-time
    /// outputs, torchvision's own loaders drop them the same way for aux_logits=False, and the eval output is
    /// unchanged. Off (as in <see cref="Exact"/>): they are unexpected keys, and a strict load throws.
    /// </summary>
    public bool DropAuxHeads { get; init; } = true;

    /// <summary>
    /// Off by default. On: a 3-channel stem convolution weight in the file is adapted to a module stem with
    /// C != 3 input channels as timm's <c>adapt_input_conv</c> does: summed over the input channels for C = 1,
    /// otherwise repeated along them to C and scaled by 3/C; the bias is unchanged.
    /// </summary>
    public bool AdaptStem { get; init; }

    /// <summary>The head's module path; null takes <see cref="IGeneratedNetwork.HeadPath"/>.</summary>
    public string? HeadPath { get; init; }

    /// <summary>The stem convolution's module path; null takes <see cref="IGeneratedNetwork.StemConvPath"/>.</summary>
    public string? StemConvPath { get; init; }

    /// <summary>State-dict prefixes of aux heads (<c>aux1.</c>); null takes <see cref="IGeneratedNetwork.AuxHeadPrefixes"/>.</summary>
    public IReadOnlyList<string>? AuxHeadPrefixes { get; init; }
}
