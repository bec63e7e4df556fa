using System;
using System.Collections.Generic;
using TorchSharp;

namespace CnnGen.Runtime.Weights;

/// <summary>Loads and saves a module's state dict (parameters and persistent buffers) as safetensors.</summary>
public static class ModuleSafetensorsExtensions
{
    /// <summary>
    /// Copies the tensors of the safetensors file at <paramref name="path"/> into <paramref name="module"/>'s
    /// parameters and buffers in place, matched by state-dict name and converted to each tensor's dtype.
    /// </summary>
    /// <param name="module">The module to fill; its tensors keep their identity, device and dtype.</param>
    /// <param name="path">A safetensors file whose names are the module's state-dict keys.</param>
    /// <param name="strict">
    /// True (default): any missing, unexpected, wrong-shaped or unconvertible tensor makes the load throw
    /// <see cref="SafetensorsLoadException"/> listing all of them, and the module is left untouched.
    /// False: everything that fits is loaded and the rest is reported.
    /// </param>
    /// <returns>What was loaded and, for a non-strict load, what was not.</returns>
    /// <exception cref="SafetensorsFormatException">The file is not a well-formed safetensors file (module untouched).</exception>
    /// <exception cref="SafetensorsLoadException">Strict load of a file that does not fit the module (module untouched).</exception>
    public static LoadReport LoadSafetensors(this torch.nn.Module module, string path, bool strict = true) =>
        LoadSafetensorsWith(module, path, strict, options: null);

    /// <summary>The safetensors case of <see cref="ModuleWeightsExtensions.LoadWeights(torch.nn.Module, string, WeightsOptions)"/>.</summary>
    internal static LoadReport LoadSafetensorsWith(torch.nn.Module module, string path, bool strict, WeightsOptions? options)
    {
        ArgumentNullException.ThrowIfNull(module);
        using var file = SafetensorsFile.Open(path);
        // state_dict hands back the module's own tensors, not copies, so copying into them loads the module.
        var stateDict = module.state_dict();
        var match = StateDictMatch.Of(file, ExpectedTensor.Of(stateDict), options, NetworkEnds.Of(module));
        if (strict && match.HasProblems)
            throw new SafetensorsLoadException(path, match.ToReport(Array.Empty<string>()));

        var adapted = WeightsAdjustments.ReadAdapted(match, file, stateDict);
        try
        {
            var loaded = new List<string>(match.Loadable.Count + adapted.Count);
            foreach (var name in match.Loadable)
            {
                file.ReadInto(name, stateDict[name]);
                loaded.Add(name);
            }
            using (torch.no_grad())
            {
                foreach (var (target, value) in adapted)
                    target.copy_(value);
            }
            foreach (var adaptation in match.Adapted)
                loaded.Add(adaptation.Key);
            return match.ToReport(loaded);
        }
        finally
        {
            foreach (var (_, value) in adapted)
                value.Dispose();
        }
    }

    /// <summary>
    /// Writes <paramref name="module"/>'s state dict (parameters and persistent buffers such as
    /// <c>running_mean</c> and <c>num_batches_tracked</c>) to <paramref name="path"/>, in each tensor's own
    /// dtype except the BatchNorm counters, which are written as I64 as PyTorch does.
    /// </summary>
    public static void SaveSafetensors(this torch.nn.Module module, string path,
        IReadOnlyDictionary<string, string>? metadata = null)
    {
        ArgumentNullException.ThrowIfNull(module);
        var tensors = new Dictionary<string, torch.Tensor>(StringComparer.Ordinal);
        var converted = new List<torch.Tensor>();
        try
        {
            foreach (var (key, tensor) in module.state_dict())
            {
                // TorchSharp keeps BatchNorm's counter as Float32; PyTorch's format (and torchvision's
                // checkpoints) has I64, which is what other tools expect to find (see BatchCounter).
                if (BatchCounter.Is(key) && tensor.dtype != torch.ScalarType.Int64 && tensor.is_floating_point())
                {
                    using var detached = tensor.detach();
                    using var rounded = detached.round();
                    var counter = rounded.to_type(torch.ScalarType.Int64);
                    converted.Add(counter);
                    tensors.Add(key, counter);
                }
                else
                {
                    tensors.Add(key, tensor);
                }
            }
            SafetensorsWriter.Write(path, tensors, metadata);
        }
        finally
        {
            foreach (var tensor in converted)
                tensor.Dispose();
        }
    }
}
