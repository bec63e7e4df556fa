using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Runtime;

/// <summary>
/// Calls of a generated forward that leave nothing behind for the finalizer. In TorchSharp 0.107 a few
/// everyday calls allocate a small native object that only the garbage collector frees: every implicit
/// <see cref="Scalar"/> (the alpha of <c>add_(other)</c>, the bounds of <c>hardtanh_(0, 6)</c>, the factor of
/// <c>mul_(0.17)</c>), every <c>Tensor.shape</c> read (32 bytes), and <c>Conv2d.forward</c> (64 bytes, its input
/// check; <c>functional.conv2d</c> with the same arguments leaves nothing). A ResNet-50 forward left about 9.5 KB of them, interleaved in glibc's heap with the activations;
/// until a collection ran they split its free space, and the heap grew by 88 MB over 1,000 calls
/// (docs/performance.md). These helpers reuse cached scalars and call the convolution directly.
/// </summary>
public static partial class Forward
{
    /// <summary>Made once and never freed: a Scalar is immutable, so every thread can share it.</summary>
    internal static readonly Scalar One = 1, Zero = 0, Six = 6;

    // A network's scale factors are few and fixed (Inception-ResNet's 0.17, 0.1, 0.2): each is made once and
    // shared. A program that kept building networks with ever-new factors would grow the table without end,
    // so past this many distinct factors a call makes its own scalar and frees it straight after.
    internal const int MostCachedFactors = 64;
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<double, Scalar> Factors = new();

    /// <summary><c>conv.forward(input)</c> without its shape check: the generator has already checked every shape.</summary>
    public static Tensor Conv2d(Conv2d conv, Tensor input) =>
        conv.padding_mode == PaddingModes.Zeros && conv.padding_type is null
            ? nn.functional.conv2d(input, conv.weight!, conv.bias, conv.stride, conv.padding, conv.dilation, conv.groups)
            : conv.forward(input);

    /// <summary><c>x += y</c> in place.</summary>
    public static Tensor Add_(Tensor x, Tensor y) => x.add_(y, One);

    /// <summary><c>x + y</c>.</summary>
    public static Tensor Add(Tensor x, Tensor y) => x.add(y, One);

    /// <summary><c>x * factor + y</c> written into x.</summary>
    public static Tensor ScaleAdd_(Tensor x, double factor, Tensor y)
    {
        using var scalar = Factor(factor);
        return x.mul_(scalar.Value).add_(y, One);
    }

    /// <summary><c>y + factor * x</c>, a new tensor.</summary>
    public static Tensor ScaleAdd(Tensor x, double factor, Tensor y)
    {
        using var scalar = Factor(factor);
        return y.add(x, scalar.Value);
    }

    /// <summary><c>x * factor</c> in place.</summary>
    public static Tensor Mul_(Tensor x, double factor)
    {
        using var scalar = Factor(factor);
        return x.mul_(scalar.Value);
    }

    /// <summary><c>x * factor</c>.</summary>
    public static Tensor Mul(Tensor x, double factor)
    {
        using var scalar = Factor(factor);
        return x.mul(scalar.Value);
    }

    /// <summary>ReLU6 in place (TorchSharp's <c>functional.relu6(x, inplace: true)</c> returns a new handle).</summary>
    public static Tensor Relu6_(Tensor x) => x.hardtanh_(Zero, Six);

    /// <summary>The distinct factors cached so far (for tests).</summary>
    internal static int CachedFactorCount => Factors.Count;

    /// <summary>The factor's shared scalar, or past <see cref="MostCachedFactors"/> a scalar of the call's own.</summary>
    private static FactorScalar Factor(double factor)
    {
        if (Factors.TryGetValue(factor, out var cached)) return new FactorScalar(cached, owned: false);
        // Count takes every lock of the table, so it is read only on a miss, which is rare once a network runs.
        if (Factors.Count < MostCachedFactors) return new FactorScalar(Factors.GetOrAdd(factor, static value => value), owned: false);
        return new FactorScalar(factor, owned: true);
    }

    /// <summary>A scalar that is disposed after the call only if the call made it.</summary>
    private readonly struct FactorScalar(Scalar value, bool owned) : System.IDisposable
    {
        public Scalar Value { get; } = value;

        public void Dispose()
        {
            if (owned) Value.Dispose();
        }
    }
}
