using System;
using System.Collections.Generic;
using CnnGen.Runtime.Weights.Checkpoints;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// Whether a weight file fits a network, told from the file's index alone (the safetensors header, the
/// checkpoint's pickle and zip directory) and a list of the tensors the network has: no module is built and
/// no tensor's data is read, so a 500 MB checkpoint is checked in the time it takes to read its pickle.
/// </summary>
/// <remarks>
/// The keys are matched, and the options applied, by the same code as
/// <see cref="ModuleWeightsExtensions.LoadWeights(TorchSharp.torch.nn.Module, string, WeightsOptions)"/>, so the
/// report is the one that load would give. The <c>cnngen weights check</c> command calls this with the
/// tensors the generator's analysis lists for a <c>*.cnn.yaml</c> network.
/// </remarks>
public static class WeightsCompatibility
{
    /// <summary>
    /// Matches the weight file at <paramref name="path"/> (safetensors, or a zip or legacy <c>torch.save</c>
    /// file, wrapped or <c>module.</c>-prefixed as LoadWeights accepts) against <paramref name="expected"/>.
    /// </summary>
    /// <param name="path">The weight file.</param>
    /// <param name="expected">The network's state-dict tensors in its state-dict order (the order missing keys are listed in).</param>
    /// <param name="options">As for LoadWeights. <see cref="WeightsOptions.Strict"/> does not change the report: a strict
    /// load throws exactly when <see cref="LoadReport.HasProblems"/> is true.</param>
    /// <param name="headPath">The network's head module path (<see cref="IGeneratedNetwork.HeadPath"/>); <see cref="WeightsOptions.HeadPath"/> wins over it.</param>
    /// <param name="stemConvPath">The network's stem convolution path (<see cref="IGeneratedNetwork.StemConvPath"/>); <see cref="WeightsOptions.StemConvPath"/> wins over it.</param>
    /// <param name="auxPrefixes">The aux heads' state-dict prefixes the file may carry (<see cref="IGeneratedNetwork.AuxHeadPrefixes"/>); <see cref="WeightsOptions.AuxHeadPrefixes"/> wins over them.</param>
    /// <param name="uncheckedPrefixes">State-dict prefixes (<c>layer1.0.se.</c>) of modules whose tensors <paramref name="expected"/>
    /// cannot list (layers written in C#): file keys under them go to <see cref="LoadReport.UncheckedKeys"/>, not to the unexpected ones.</param>
    /// <returns>
    /// The report a non-strict load would return, with <see cref="LoadReport.LoadedKeys"/> the keys it would copy
    /// (a stem to adapt included). A strict load throws <see cref="WeightsLoadException"/> with the same problems.
    /// </returns>
    /// <exception cref="SafetensorsFormatException">A malformed safetensors file.</exception>
    /// <exception cref="CheckpointFormatException">A malformed, hostile or unsupported checkpoint, or a file of no weights format.</exception>
    /// <exception cref="ArgumentException">NewHead or AdaptStem with no head or stem path known.</exception>
    public static LoadReport Check(string path, IReadOnlyList<ExpectedTensor> expected, WeightsOptions options,
        string? headPath = null, string? stemConvPath = null, IReadOnlyList<string>? auxPrefixes = null,
        IReadOnlyList<string>? uncheckedPrefixes = null)
    {
        ArgumentNullException.ThrowIfNull(path);
        ArgumentNullException.ThrowIfNull(expected);
        ArgumentNullException.ThrowIfNull(options);
        var ends = new NetworkEnds(headPath, stemConvPath, auxPrefixes ?? Array.Empty<string>());
        using var file = Open(path);
        var match = StateDictMatch.Of(file, expected, options, ends, uncheckedPrefixes);
        var loadable = new List<string>(match.Loadable);
        foreach (var adaptation in match.Adapted)
            loadable.Add(adaptation.Key);
        return match.ToReport(loadable);
    }

    /// <summary>The file's index: what opening it reads and checks (headers, pickle, entry sizes), never its tensor data.</summary>
    private static ITensorIndex Open(string path) => WeightsFormats.Detect(path) switch
    {
        WeightsFormat.Safetensors => SafetensorsFile.Open(path),
        WeightsFormat.TorchZip or WeightsFormat.TorchLegacy => TorchCheckpoint.Open(path),
        _ => throw WeightsFormats.NotAWeightsFile(path),
    };
}
