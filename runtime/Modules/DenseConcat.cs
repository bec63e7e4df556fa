using System;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Runtime;

/// <summary>
/// The concatenations of one dense block (DenseNet) in a generated forward. Layer k's input is the block
/// input and every earlier layer's output side by side; <c>torch.cat</c> copies all of them again for every
/// layer (quadratic in the block length). Without autograd this writes each feature map once into a block
/// buffer and hands out views of its growing prefix instead (measured on a hand-written DenseNet-121:
/// 1.13x-1.29x). With autograd recording it concatenates: a layer's input is saved for the backward pass,
/// and writing the next slice of the same buffer would invalidate it.
/// </summary>
/// <remarks>
/// The generator passes the same growing list every time (block input, then each layer's output), so
/// only the new parts are copied. The returned tensor is the caller's to dispose; the views share the
/// buffer, so the generator never runs an in-place operation on them. The last call (all channels
/// present) returns the buffer itself.
/// </remarks>
public sealed class DenseConcat : IDisposable
{
    private readonly long _channels;
    private Tensor? _buffer;
    private long _filled;
    private int _copied;

    /// <param name="channels">The channels of the whole block output: the block input's plus every layer's.</param>
    public DenseConcat(long channels) => _channels = channels;

    public Tensor Concat(params Tensor[] parts)
    {
        if (is_grad_enabled()) return cat(parts, 1);
        if (_buffer is null)
        {
            var first = parts[0];
            // size(i), not shape: each shape read leaves a native object for the finalizer (see Forward).
            var (n, h, w) = (first.size(0), first.size(2), first.size(3));
            // Channels-last input (the inference form) gets a channels-last buffer, so its views keep that layout.
            if (first.stride(1) == 1 && first.size(1) > 1)
            {
                using var nhwc = empty(new[] { n, h, w, _channels }, first.dtype, first.device);
                _buffer = nhwc.permute(0, 3, 1, 2);
            }
            else
            {
                _buffer = empty(new[] { n, _channels, h, w }, first.dtype, first.device);
            }
        }
        for (; _copied < parts.Length; _copied++)
        {
            var channels = parts[_copied].size(1);
            if (_filled + channels > _channels)
                throw new InvalidOperationException($"Dense block concatenation past its {_channels} channels.");
            using var slot = _buffer.narrow(1, _filled, channels);
            slot.copy_(parts[_copied]);
            _filled += channels;
        }
        if (_filled < _channels) return _buffer.narrow(1, 0, _filled);
        var whole = _buffer;
        _buffer = null;
        return whole;
    }

    /// <summary>Frees the buffer if the block did not finish (an exception on the way).</summary>
    public void Dispose() => _buffer?.Dispose();
}
