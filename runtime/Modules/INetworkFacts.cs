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

    /// <summary>
    /// Whether the network takes an input of this height and width: the declared size when <see cref="FixedInputSize"/>,
    /// else at least <see cref="MinimumInputShape"/> and, where an upsample by a factor meets other maps (YOLOv8n), a size
    /// at which their sizes agree.
    /// </summary>
    static abstract bool AcceptsInputSize(long height, long width);
}
