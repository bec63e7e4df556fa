using System;
using System.Collections.Generic;
using CnnGen.Runtime.Weights.Checkpoints;
using TorchSharp;

namespace CnnGen.Runtime.Weights;

/// <summary>Loads a module's state dict from safetensors and PyTorch checkpoint files alike.</summary>
public static class ModuleWeightsExtensions
{
    /// <summary>
    /// Copies the tensors of the weight file at <paramref name="path"/> into <paramref name="module"/>'s
    /// parameters and buffers in place, matched by state-dict name. The format is told from the content:
    /// safetensors, a zip-format <c>torch.save</c> file, or a legacy (pre-1.6) one. A checkpoint may wrap
    /// its state dict (<c>state_dict</c>, <c>model</c>, <c>state_dict_ema</c>, tried in that order), and a
    /// <c>module.</c> prefix (DataParallel) on every key is dropped.
    /// </summary>
    /// <remarks>
    /// Pickles are read as <c>torch.load(weights_only=True)</c> does: only tensors, storages and
    /// OrderedDict; anything else throws <see cref="CheckpointFormatException"/> before any tensor is
    /// copied. Every size is checked against the file, and every zip entry header read, before the first
    /// copy, so a truncated or damaged file leaves the module untouched (only a file changing while it is
    /// read can fail half-way, as with safetensors). Tensors needing a dtype conversion or a strided copy
    /// are staged one temporary each; the rest are read straight into the module.
    /// Parameters keep their identity, dtype, device and requires_grad.
    /// </remarks>
    /// <param name="module">The module to fill; its tensors keep their identity, device and dtype.</param>
    /// <param name="path">A safetensors file or a torch.save checkpoint of a state dict.</param>
    /// <param name="strict">As for <see cref="ModuleSafetensorsExtensions.LoadSafetensors"/>: true throws
    /// <see cref="WeightsLoadException"/> listing every problem and loads nothing; false loads what fits.</param>
    /// <exception cref="SafetensorsFormatException">A malformed safetensors file.</exception>
    /// <exception cref="CheckpointFormatException">A malformed, hostile or unsupported PyTorch checkpoint, or an unknown format.</exception>
    /// <exception cref="WeightsLoadException">Strict load of a file that does not fit the module.</exception>
    public static LoadReport LoadWeights(this torch.nn.Module module, string path, bool strict = true)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(path);
        switch (WeightsFormats.Detect(path))
        {
            case WeightsFormat.Safetensors:
                return module.LoadSafetensors(path, strict);
            case WeightsFormat.TorchZip:
            case WeightsFormat.TorchLegacy:
                using (var checkpoint = TorchCheckpoint.Open(path))
                    return Load(module, checkpoint, path, strict);
            default:
                throw new CheckpointFormatException(path,
                    "the content is neither safetensors (8-byte length then '{'), a zip-format torch.save file (PK\\x03\\x04) nor a legacy one (a pickle)");
        }
    }

    private static LoadReport Load(torch.nn.Module module, TorchCheckpoint checkpoint, string path, bool strict)
    {
        var match = StateDictMatch.Build(checkpoint, module.state_dict());
        if (strict && match.HasProblems)
            throw new WeightsLoadException(path, match.ToReport(Array.Empty<string>()));

        // Everything that can fail on a well-formed file fails before the first copy: sizes were checked
        // against the file when it was opened, zip headers are checked here, and tensors that need a
        // conversion or a strided copy are read into temporaries first. The rest (same dtype, contiguous:
        // nearly every tensor) then goes straight from the file into the module, as LoadSafetensors does.
        checkpoint.CheckReadable();
        var staged = new List<(string Name, torch.Tensor Target, torch.Tensor Value)>();
        var direct = new List<(string Name, torch.Tensor Target)>();
        try
        {
            foreach (var (name, target) in match.Loadable)
            {
                if (checkpoint.CanReadDirectly(name, target))
                    direct.Add((name, target));
                else
                    staged.Add((name, target, checkpoint.ReadTensor(name)));
            }
            using (torch.no_grad())
            {
                foreach (var (name, target) in direct)
                    checkpoint.ReadDirectly(name, target);
                foreach (var (_, target, value) in staged)
                    target.copy_(value);
            }
            // In the module's order, as LoadSafetensors reports them.
            return match.ToReport(match.Loadable.ConvertAll(pair => pair.Name));
        }
        finally
        {
            foreach (var (_, _, value) in staged)
                value.Dispose();
        }
    }
}
