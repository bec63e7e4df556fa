using System.Collections.Generic;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// What <see cref="StateDictMatch"/> needs from a weight file: its tensor names, and each one's stored
/// dtype and shape, known before any data is read. Implemented by <see cref="SafetensorsFile"/> and by
/// the PyTorch checkpoint readers, so both get the same strict/report semantics. Disposing it closes the file.
/// </summary>
internal interface ITensorIndex : System.IDisposable
{
    /// <summary>Every tensor name in the file.</summary>
    IEnumerable<string> TensorNames { get; }

    /// <summary>The stored dtype and shape of <paramref name="name"/>, if the file has it.</summary>
    bool TryGetTensorInfo(string name, out SafetensorsDtype dtype, out IReadOnlyList<long> shape);

    /// <summary>A new CPU tensor with <paramref name="name"/>'s stored values and dtype; the caller owns it.</summary>
    TorchSharp.torch.Tensor ReadTensor(string name);
}
