namespace CnnGen.Runtime;

/// <summary>
/// A generated network's compile-time shape facts as static members, so code generic over the class (the typed
/// ONNX Runtime runner <c>OnnxNetwork&lt;T&gt;</c>) can check an input before anything native sees it.
/// </summary>
public interface INetworkFacts
{
    /// <summary>One input sample with the default arguments: channels, height, width.</summary>
    static abstract long[] InputShape { get; }

    /// <summary>The smallest input sample every layer accepts (the declared one when <see cref="FixedInputSize"/>).</summary>
    static abstract long[] MinimumInputShape { get; }

    /// <summary>One output sample with the default arguments.</summary>
    static abstract long[] OutputShape { get; }

    /// <summary>The network accepts its declared input size only (a flatten sees the raw feature map).</summary>
    static abstract bool FixedInputSize { get; }
}
