using System;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// BatchNorm's <c>num_batches_tracked</c>, the one state-dict entry that needs special treatment.
/// </summary>
/// <remarks>
/// Either side may lack it (older PyTorch checkpoints, BatchNorm without running statistics) and it
/// only matters for training with momentum=None, so it is tolerated when absent. Its dtype differs
/// between the ecosystems: PyTorch (and so every torchvision checkpoint) stores I64, TorchSharp 0.107's
/// BatchNorm holds it as Float32. Loads convert between the two, and saves write I64 so our files look
/// like PyTorch's.
/// </remarks>
internal static class BatchCounter
{
    public const string Name = "num_batches_tracked";

    public static bool Is(string key) =>
        key == Name || key.EndsWith("." + Name, StringComparison.Ordinal);
}
