using System;
using TorchSharp;

namespace CnnGen.Runtime;

/// <summary>
/// Checks a batch against a network's declared input before any layer runs, so a wrong input gives
/// a message that names the expected shape instead of libtorch's error from deep inside.
/// </summary>
public static class InputCheck
{
    public static void Require(torch.Tensor input, string network, long channels, long height, long width, bool exactSize)
    {
        if (input is null) throw new ArgumentNullException(nameof(input));
        var shape = input.shape;
        var expected = exactSize ? $"[N, {channels}, {height}, {width}]" : $"[N, {channels}, H, W] (declared {height}x{width})";
        if (shape.Length != 4)
            throw new ArgumentException($"{network} expects a batch of shape {expected}, but the input has shape [{string.Join(", ", shape)}].", nameof(input));
        if (shape[1] != channels || (exactSize && (shape[2] != height || shape[3] != width)))
            throw new ArgumentException($"{network} expects a batch of shape {expected}, but the input has shape [{string.Join(", ", shape)}].", nameof(input));
    }
}
