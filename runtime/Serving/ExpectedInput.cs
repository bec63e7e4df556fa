using System;
using System.Globalization;

namespace CnnGen.Serving;

/// <summary>
/// What an input batch must look like for one opened model: [N, channels, height, width] with N at least 1, and
/// height and width either exactly the declared ones or at least the class's minimum. Checked in managed code before
/// ONNX Runtime sees the data, so a wrong input gives a message that names both shapes instead of an error from
/// inside a kernel (or a read past the end of a buffer when the data is shorter than its shape).
/// </summary>
internal sealed class ExpectedInput
{
    public ExpectedInput(string network, long channels, long height, long width, long minimumHeight, long minimumWidth, string? fixedSizeReason)
    {
        Network = network;
        Channels = channels;
        Height = height;
        Width = width;
        MinimumHeight = minimumHeight;
        MinimumWidth = minimumWidth;
        FixedSizeReason = fixedSizeReason;
    }

    /// <summary>The class name, the first word of every message.</summary>
    public string Network { get; }

    public long Channels { get; }

    /// <summary>The declared height: the only one accepted when <see cref="FixedSize"/>.</summary>
    public long Height { get; }

    /// <summary>The declared width: the only one accepted when <see cref="FixedSize"/>.</summary>
    public long Width { get; }

    public long MinimumHeight { get; }

    public long MinimumWidth { get; }

    /// <summary>Why only the declared height and width are accepted; null when any size from the minimum up is.</summary>
    public string? FixedSizeReason { get; }

    public bool FixedSize => FixedSizeReason is not null;

    /// <summary>The accepted shapes in words, as every message states them.</summary>
    public string Description => FixedSize
        ? $"a batch of shape [N, {Channels}, {Height}, {Width}]"
        : $"a batch of shape [N, {Channels}, H, W] with H >= {MinimumHeight} and W >= {MinimumWidth}";

    /// <summary>Throws when <paramref name="shape"/> is not an accepted batch shape, saying which part is wrong.</summary>
    public void Check(long[] shape, string parameterName)
    {
        var problem = Problem(shape);
        if (problem is not null)
            throw new ArgumentException($"{Network} expects {Description}, but the input has shape {Format(shape)}: {problem}.", parameterName);
    }

    /// <summary>Throws when <paramref name="length"/> values cannot fill <paramref name="shape"/> exactly (checked after <see cref="Check"/>).</summary>
    public void CheckLength(long[] shape, long length, string parameterName)
    {
        var needed = Product(shape);
        if (needed == length)
            return;
        var holds = needed is { } count ? count.ToString(CultureInfo.InvariantCulture) + " values" : "more values than a long can count";
        throw new ArgumentException($"{Network}: an input of shape {Format(shape)} holds {holds}, but the data has {length}.", parameterName);
    }

    private string? Problem(long[] shape)
    {
        if (shape.Length != 4)
            return $"its rank is {shape.Length}, not 4";
        var (batch, channels, height, width) = (shape[0], shape[1], shape[2], shape[3]);
        if (batch < 1)
            return $"a batch holds at least one sample, not {batch}";
        if (channels != Channels)
            return $"it has {channels} channels, not {Channels}";
        if (FixedSize && (height != Height || width != Width))
            return $"its height and width are {height}x{width}, but only {Height}x{Width} is accepted ({FixedSizeReason})";
        if (height < MinimumHeight || width < MinimumWidth)
            return $"its height and width {height}x{width} are below the minimum {MinimumHeight}x{MinimumWidth}, where a layer would have no pixel left";
        return null;
    }

    public static string Format(long[] shape) => "[" + string.Join(", ", shape) + "]";

    /// <summary>The number of values in <paramref name="shape"/>; null when a long cannot hold it.</summary>
    private static long? Product(long[] shape)
    {
        try
        {
            long product = 1;
            foreach (var dim in shape) product = checked(product * dim);
            return product;
        }
        catch (OverflowException)
        {
            return null;
        }
    }
}
