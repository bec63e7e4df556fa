using System;
using TorchSharp;

namespace CnnGen.Runtime;

/// <summary>
/// Checks a batch against a network's input before any layer runs, so a wrong or too small input gives
/// a message that names the expected shape instead of libtorch's error from deep inside.
/// </summary>
public static class InputCheck
{
    /// <summary>A batch [N, channels, H, W] with H and W at least the network's minimum (it pools adaptively).</summary>
    public static void RequireAtLeast(torch.Tensor input, string network, long channels, long minHeight, long minWidth)
    {
        if (!IsMap(input) || input.size(1) != channels || input.size(2) < minHeight || input.size(3) < minWidth)
            throw new ArgumentException(
                $"{network} expects a batch of shape [N, {channels}, H, W] with H >= {minHeight} and W >= {minWidth}, but the input has shape [{string.Join(", ", input.shape)}].",
                nameof(input));
    }

    /// <summary>A batch of exactly [N, channels, height, width].</summary>
    public static void RequireExactly(torch.Tensor input, string network, long channels, long height, long width)
    {
        if (!IsMap(input) || input.size(1) != channels || input.size(2) != height || input.size(3) != width)
            throw new ArgumentException(
                $"{network} expects a batch of shape [N, {channels}, {height}, {width}], but the input has shape [{string.Join(", ", input.shape)}].",
                nameof(input));
    }

    // dim() and size(i), not shape: in TorchSharp 0.107 every shape read leaves a small native object for
    // the finalizer (see Forward), and this check runs on every forward.
    private static bool IsMap(torch.Tensor input) => (input ?? throw new ArgumentNullException(nameof(input))).dim() == 4;
}
