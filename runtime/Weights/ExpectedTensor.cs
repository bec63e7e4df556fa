using System;
using System.Collections.Generic;
using TorchSharp;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// One state-dict tensor a module has (or, for <see cref="WeightsCompatibility.Check"/>, would have): its
/// key, shape and element type. What a weight file is matched against, so a load (from a live module) and a
/// check (from the generator's analysis, with no module built) sort the file's keys by one rule.
/// </summary>
/// <param name="Name">The state-dict key, e.g. <c>layer1.0.bn1.running_var</c>.</param>
/// <param name="Shape">The dimensions; empty for a scalar such as <c>num_batches_tracked</c>.</param>
/// <param name="Dtype">The element type the file's tensor is converted to (see <see cref="SafetensorsDtypes.ConversionProblem"/>).</param>
public sealed record ExpectedTensor(string Name, IReadOnlyList<long> Shape, torch.ScalarType Dtype)
{
    /// <summary>The module's tensors in its state-dict order, as a load matches them.</summary>
    internal static List<ExpectedTensor> Of(Dictionary<string, torch.Tensor> stateDict)
    {
        var expected = new List<ExpectedTensor>(stateDict.Count);
        foreach (var (name, tensor) in stateDict)
            expected.Add(new ExpectedTensor(name, tensor.shape, tensor.dtype));
        return expected;
    }
}
