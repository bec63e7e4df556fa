using System;
using System.Collections.Generic;
using System.Linq;
using System.Runtime.CompilerServices;
using TorchSharp;
using TorchSharp.Modules;

namespace CnnGen.Runtime;

/// <summary>
/// Freezing a generated network for transfer learning: parameters stop requiring grad, and the batch norms
/// among them stay in eval mode under <c>train()</c> (their running statistics are not updated), as Keras'
/// frozen BatchNormalization and timm's FrozenBatchNorm2d behave. Every generated class overrides <c>train</c>
/// to keep them so.
/// </summary>
public static class Freezing
{
    private static readonly ConditionalWeakTable<torch.nn.Module, List<torch.nn.Module>> FrozenNorms = new();

    /// <summary>
    /// Freezes every parameter before the classifier head (<see cref="IGeneratedNetwork.HeadPath"/>), or, with
    /// <paramref name="upTo"/>, every parameter up to and including those of that module path (<c>layer2</c>,
    /// <c>features.6</c>) in registration order. Returns the names of the frozen parameters.
    /// </summary>
    /// <exception cref="ArgumentException">No head is known and no <paramref name="upTo"/> is given, or <paramref name="upTo"/> names no module with parameters.</exception>
    public static IReadOnlyList<string> Freeze<TNetwork>(this TNetwork network, string? upTo = null) where TNetwork : torch.nn.Module, IGeneratedNetwork
    {
        ArgumentNullException.ThrowIfNull(network);
        var parameters = network.named_parameters().ToList();
        List<string> frozen;
        if (upTo is null)
        {
            var head = network.HeadPath ?? throw new ArgumentException($"{network.GetType().Name} names no classifier head ('head:' in its YAML); say up to which module to freeze.", nameof(upTo));
            frozen = parameters.Where(p => !Under(p.name, head)).Select(p => p.name).ToList();
        }
        else
        {
            var last = parameters.FindLastIndex(p => Under(p.name, upTo));
            if (last < 0)
            {
                var tops = string.Join(", ", parameters.Select(p => p.name.Split('.')[0]).Distinct());
                throw new ArgumentException($"'{upTo}' names no module with parameters in {network.GetType().Name}; its top-level modules are {tops}.", nameof(upTo));
            }
            frozen = parameters.Take(last + 1).Select(p => p.name).ToList();
        }
        var names = new HashSet<string>(frozen, StringComparer.Ordinal);
        var fixedParameters = FixedParameters(network);
        foreach (var (name, parameter) in parameters) parameter.requires_grad = !names.Contains(name) && !fixedParameters.Contains(name);

        // A batch norm is frozen when all of its own parameters are (the zoo's all have weight and bias).
        var norms = new List<torch.nn.Module>();
        foreach (var (path, module) in network.named_modules())
        {
            if (module is not (BatchNorm1d or BatchNorm2d or BatchNorm3d)) continue;
            var own = parameters.Where(p => p.name.StartsWith(path + ".", StringComparison.Ordinal) && p.name.IndexOf('.', path.Length + 1) < 0).ToList();
            if (own.Count > 0 && own.All(p => names.Contains(p.name))) norms.Add(module);
        }
        FrozenNorms.AddOrUpdate(network, norms);
        KeepFrozenNormsInEval(network);
        return frozen;
    }

    /// <summary>Every parameter requires grad again (but those that never train, see <see cref="IFixedParameters"/>) and every batch norm follows <c>train()</c> again.</summary>
    public static void Unfreeze<TNetwork>(this TNetwork network) where TNetwork : torch.nn.Module, IGeneratedNetwork
    {
        ArgumentNullException.ThrowIfNull(network);
        var fixedParameters = FixedParameters(network);
        foreach (var (name, parameter) in network.named_parameters()) parameter.requires_grad = !fixedParameters.Contains(name);
        FrozenNorms.Remove(network);
        network.train(network.training);
    }

    /// <summary>Puts the frozen batch norms of <paramref name="network"/> back in eval mode (the generated <c>train</c> calls it).</summary>
    public static void KeepFrozenNormsInEval(torch.nn.Module network)
    {
        if (!FrozenNorms.TryGetValue(network, out var norms)) return;
        foreach (var norm in norms) norm.eval();
    }

    /// <summary>The names of the parameters of modules that never train (<see cref="IFixedParameters"/>: YOLOv8's DFL).</summary>
    private static HashSet<string> FixedParameters(torch.nn.Module network)
    {
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (path, module) in network.named_modules())
            if (module is IFixedParameters)
                foreach (var (name, _) in module.named_parameters()) names.Add(path.Length == 0 ? name : path + "." + name);
        return names;
    }

    private static bool Under(string name, string path) => name.StartsWith(path + ".", StringComparison.Ordinal);
}
