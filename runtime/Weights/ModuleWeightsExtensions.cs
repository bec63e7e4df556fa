using System;
using System.Collections.Generic;
using System.Linq;
using CnnGen.Runtime.Weights.Checkpoints;
using TorchSharp;

namespace CnnGen.Runtime.Weights;

/// <summary>Loads a module's state dict from safetensors and PyTorch checkpoint files alike.</summary>
public static class ModuleWeightsExtensions
{
    /// <summary>
    /// Copies the tensors of the weight file at <paramref name="path"/> into <paramref name="module"/>'s
    /// parameters and buffers in place, matched by state-dict name, with the defaults of <see cref="WeightsOptions"/>:
    /// strict, and a file's aux heads the class lacks dropped (<see cref="WeightsOptions.DropAuxHeads"/>), so
    /// torchvision's own GoogLeNet and Inception-v3 files load into <c>GoogLeNet</c> and <c>InceptionV3</c>. Every key
    /// so dropped is in <see cref="LoadReport.SkippedKeys"/> with its reason; anything else that does not fit
    /// throws <see cref="WeightsLoadException"/> and nothing is loaded. For the exact load (every file tensor must
    /// be one of the module's, nothing skipped) pass <see cref="WeightsOptions.Exact"/>.
    /// The format is told from the content: safetensors, a zip-format <c>torch.save</c> file, or a legacy
    /// (pre-1.6) one. A checkpoint may wrap its state dict (<c>state_dict</c>, <c>model</c>, <c>state_dict_ema</c>,
    /// tried in that order), and a <c>module.</c> prefix (DataParallel) is dropped when every key carries it (a
    /// file where only some do is matched as it is, so its prefixed keys are reported, not half-loaded).
    /// </summary>
    /// <remarks>
    /// Pickles are read as <c>torch.load(weights_only=True)</c> does: only tensors, storages and
    /// OrderedDict; anything else throws <see cref="CheckpointFormatException"/> before any tensor is
    /// copied. Every size is checked against the file, and every zip entry header read, before the first
    /// copy, so a truncated or damaged file leaves the module untouched (only a file changing while it is
    /// read can fail half-way, as with safetensors). Tensors needing a dtype conversion or a strided copy
    /// are staged one temporary each; the rest are read straight into the module.
    /// Parameters keep their identity, dtype, device and requires_grad. For a module that is not a generated
    /// network (no <see cref="IGeneratedNetwork"/>, so no aux heads known) the defaults are the exact load.
    /// </remarks>
    /// <example><code>
    /// using var googlenet = new GoogLeNet();
    /// var report = googlenet.LoadWeights("googlenet.pth");          // torchvision's file, aux1.* and aux2.* included
    /// // report.SkippedKeys: aux1.conv.bn.bias: aux head not in this class, ... (all 20 aux tensors)
    /// googlenet.LoadWeights("googlenet.pth", WeightsOptions.Exact);  // throws: 18 unexpected keys: aux1.conv.bn.bias, ...
    /// </code></example>
    /// <param name="module">The module to fill; its tensors keep their identity, device and dtype.</param>
    /// <param name="path">A safetensors file or a torch.save checkpoint of a state dict.</param>
    /// <exception cref="SafetensorsFormatException">A malformed safetensors file.</exception>
    /// <exception cref="CheckpointFormatException">A malformed, hostile or unsupported PyTorch checkpoint, or an unknown format.</exception>
    /// <exception cref="WeightsLoadException">A file that does not fit the module (beyond what the default options drop).</exception>
    public static LoadReport LoadWeights(this torch.nn.Module module, string path) =>
        Load(module, path, WeightsOptions.Default.Strict, WeightsOptions.Default);

    /// <summary>
    /// As <see cref="LoadWeights(torch.nn.Module, string)"/> (the defaults of <see cref="WeightsOptions"/>, aux heads the
    /// class lacks dropped and reported) with <see cref="WeightsOptions.Strict"/> set to <paramref name="strict"/>.
    /// For the exact load pass <see cref="WeightsOptions.Exact"/> (non-strict: <c>WeightsOptions.Exact with { Strict = false }</c>).
    /// </summary>
    /// <param name="module">The module to fill; its tensors keep their identity, device and dtype.</param>
    /// <param name="path">A safetensors file or a torch.save checkpoint of a state dict.</param>
    /// <param name="strict">As for <see cref="ModuleSafetensorsExtensions.LoadSafetensors"/>: true throws
    /// <see cref="WeightsLoadException"/> listing every problem and loads nothing; false loads what fits.</param>
    /// <exception cref="SafetensorsFormatException">A malformed safetensors file.</exception>
    /// <exception cref="CheckpointFormatException">A malformed, hostile or unsupported PyTorch checkpoint, or an unknown format.</exception>
    /// <exception cref="WeightsLoadException">Strict load of a file that does not fit the module.</exception>
    public static LoadReport LoadWeights(this torch.nn.Module module, string path, bool strict) =>
        LoadWeights(module, path, WeightsOptions.Default with { Strict = strict });

    /// <summary>
    /// As <see cref="LoadWeights(torch.nn.Module, string)"/>, with a file whose ends differ from the
    /// module's handled as <paramref name="options"/> asks: a head for another class count
    /// (<see cref="WeightsOptions.NewHead"/>), aux heads the class lacks (<see cref="WeightsOptions.DropAuxHeads"/>,
    /// on by default), a 3-channel stem for a 1- or C-channel module (<see cref="WeightsOptions.AdaptStem"/>);
    /// <see cref="WeightsOptions.Exact"/> is the exact load, which handles none of them.
    /// Every key an option handles is in <see cref="LoadReport.SkippedKeys"/> or <see cref="LoadReport.AdaptedKeys"/>
    /// with its reason; any other mismatch is a problem, and a strict load throws before copying anything.
    /// </summary>
    /// <example><code>
    /// using var model = new ResNet50(numClasses: 10);
    /// var report = model.LoadWeights("resnet50.pth", new WeightsOptions { NewHead = true });
    /// // report.SkippedKeys: fc.weight: new head (file [1000,2048], module [10,2048]), fc.bias: ...
    /// </code></example>
    /// <exception cref="ArgumentException">NewHead or AdaptStem without a known head or stem path.</exception>
    public static LoadReport LoadWeights(this torch.nn.Module module, string path, WeightsOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        return Load(module, path, options.Strict, options);
    }

    private static LoadReport Load(torch.nn.Module module, string path, bool strict, WeightsOptions? options)
    {
        ArgumentNullException.ThrowIfNull(module);
        ArgumentNullException.ThrowIfNull(path);
        switch (WeightsFormats.Detect(path))
        {
            case WeightsFormat.Safetensors:
                return ModuleSafetensorsExtensions.LoadSafetensorsWith(module, path, strict, options);
            case WeightsFormat.TorchZip:
            case WeightsFormat.TorchLegacy:
                using (var checkpoint = TorchCheckpoint.Open(path))
                    return Load(module, checkpoint, path, strict, options);
            default:
                throw WeightsFormats.NotAWeightsFile(path);
        }
    }

    private static LoadReport Load(torch.nn.Module module, TorchCheckpoint checkpoint, string path, bool strict, WeightsOptions? options)
    {
        var stateDict = module.state_dict();
        var match = StateDictMatch.Of(checkpoint, ExpectedTensor.Of(stateDict), options, NetworkEnds.Of(module));
        if (strict && match.HasProblems)
            throw new WeightsLoadException(path, match.ToReport(Array.Empty<string>()));

        // Everything that can fail on a well-formed file fails before the first copy: sizes were checked
        // against the file when it was opened, zip headers are checked here, and tensors that need a
        // conversion or a strided copy are read into temporaries first. The rest (same dtype, contiguous:
        // nearly every tensor) then goes straight from the file into the module, as LoadSafetensors does.
        checkpoint.CheckReadable();
        var staged = new List<(string Name, torch.Tensor Target, torch.Tensor Value)>();
        var direct = new List<(string Name, torch.Tensor Target)>();
        var adapted = new List<(torch.Tensor Target, torch.Tensor Value)>();
        try
        {
            adapted = WeightsAdjustments.ReadAdapted(match, checkpoint, stateDict);
            foreach (var name in match.Loadable)
            {
                var target = stateDict[name];
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
                foreach (var (target, value) in adapted)
                    target.copy_(value);
            }
            // In the module's order, as LoadSafetensors reports them; adapted stems last.
            var loaded = new List<string>(match.Loadable);
            loaded.AddRange(match.Adapted.Select(adaptation => adaptation.Key));
            return match.ToReport(loaded);
        }
        finally
        {
            foreach (var (_, value) in adapted)
                value.Dispose();
            foreach (var (_, _, value) in staged)
                value.Dispose();
        }
    }
}
