using System.Collections.Generic;
using System.Linq;
using CnnGen.Generator.Layers;

namespace CnnGen.Generator.Analysis;

/// <summary>
/// The network's state dict from the module tree and the tensors each layer kind declares
/// (<see cref="LayerResult.Tensors"/>), so checking a weight file needs no second description of the layers.
/// </summary>
public sealed partial class NetworkAnalyzer
{
    /// <summary>Each stateful leaf's tensors, relative to it (null: a C# layer's, unknown).</summary>
    private readonly Dictionary<ModuleNode, IReadOnlyList<StateTensor>?> _leafTensors = new();

    private void RecordTensors(ModuleNode leaf, LayerResult result) => _leafTensors[leaf] = result.Tensors;

    /// <summary>
    /// Walks the finished tree (aux heads and moved shortcuts are in their registered places by now). TorchSharp's
    /// <c>state_dict()</c> is <c>named_parameters()</c> followed by <c>named_buffers()</c>, each walking the tree
    /// with a module's own tensors before its children's (a group's <c>layer_scale</c> before its layers); the
    /// tensors are listed in that order, which is the order a load reports missing keys in.
    /// </summary>
    private void CollectStateDict()
    {
        var tensors = new List<StateTensor>();
        var opaque = new List<string>();
        Walk(_model.Root, "", tensors, opaque);
        _model.StateDict = new NetworkStateDict(
            tensors.Where(tensor => !tensor.IsBuffer).Concat(tensors.Where(tensor => tensor.IsBuffer)).ToList(), opaque);
    }

    private void Walk(ModuleNode group, string path, List<StateTensor> tensors, List<string> opaque)
    {
        string ChildPath(ModuleNode child) => path.Length == 0 ? child.Name : path + "." + child.Name;
        foreach (var parameter in group.Children.Where(child => child.IsParameter))
            Add(parameter, ChildPath(parameter), tensors, opaque);
        foreach (var child in group.Children.Where(child => !child.IsParameter))
        {
            if (child.IsGroup) Walk(child, ChildPath(child), tensors, opaque);
            else Add(child, ChildPath(child), tensors, opaque);
        }
    }

    private void Add(ModuleNode leaf, string path, List<StateTensor> tensors, List<string> opaque)
    {
        if (!_leafTensors.TryGetValue(leaf, out var own)) return;
        if (own is null) opaque.Add(path + ".");
        else tensors.AddRange(own.Select(tensor => tensor.Under(path)));
    }
}
