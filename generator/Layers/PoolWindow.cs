using CnnGen.Generator.Diagnostics;

namespace CnnGen.Generator.Layers;

/// <summary>The window arithmetic max and average pooling share (stride defaults to the kernel, as in PyTorch).</summary>
internal static class PoolWindow
{
    public sealed record Window((long H, long W) Kernel, (long H, long W) Stride, (long H, long W) Padding, bool Ceil, Shape Output);

    public static Window? Analyze(LayerContext context, string layerName, (long H, long W) dilation)
    {
        var input = context.Input;
        if (!input.IsMap)
        {
            context.WrongRank("a feature map (C x H x W)");
            return null;
        }
        var args = context.Args;
        var kernel = args.Pair("kernel");
        var stride = args.IsGiven("stride") ? args.Pair("stride") : kernel;
        string? sameProblem = null;
        var same = args.IsSame("padding") ? Spatial.Same(kernel, stride, dilation, out sameProblem) : null;
        if (args.IsSame("padding") && same is null) { context.BadArgument("padding", sameProblem!); return null; }
        var padding = same ?? args.Pair("padding");
        var ceil = args.Bool("ceil");
        if (kernel.H < 1 || kernel.W < 1) { context.BadArgument("kernel", "must be at least 1"); return null; }
        if (stride.H < 1 || stride.W < 1) { context.BadArgument("stride", "must be at least 1"); return null; }
        if (padding.H * 2 > kernel.H || padding.W * 2 > kernel.W)
        {
            context.BadArgument("padding", $"is {Spatial.Describe(padding)} but must be at most half the kernel ({Spatial.Window(kernel)}), as PyTorch requires");
            return null;
        }
        var height = Spatial.Output(input.Height, kernel.H, stride.H, padding.H, dilation.H, ceil);
        var width = Spatial.Output(input.Width, kernel.W, stride.W, padding.W, dilation.W, ceil);
        if (height < 1 || width < 1)
        {
            context.Report(DiagnosticCatalog.SpatialTooSmall, context.Span, context.Describe, layerName, input, $"{input.Channels.Int}x{height}x{width}",
                $"a {Spatial.Window(kernel)} window does not fit in {input.Height}x{input.Width}" + (padding == (0, 0) ? "" : $" with padding {Spatial.Describe(padding)}"));
            return null;
        }
        return new Window(kernel, stride, padding, ceil, Shape.Map(input.Channels, height, width));
    }

    /// <summary>The named arguments of TorchSharp's functional pooling calls after the kernel.</summary>
    public static string Arguments(Window window)
    {
        var square = Spatial.IsSquare(window.Kernel, window.Stride, window.Padding);
        var text = square ? $"{window.Kernel.H}, stride: {window.Stride.H}" : $"{Spatial.Tuple(window.Kernel)}, stride: {Spatial.Tuple(window.Stride)}";
        if (window.Padding != (0, 0)) text += $", padding: {(square ? window.Padding.H.ToString() : Spatial.Tuple(window.Padding))}";
        if (window.Ceil) text += ", ceil_mode: true";
        return text;
    }

    public static SpatialRule Rule(Window window) => SpatialRule.Window(window.Kernel, window.Stride, window.Padding, (1, 1), window.Ceil);

    public static string Detail(Window window) =>
        Spatial.Window(window.Kernel) + "/" + Spatial.Describe(window.Stride) + (window.Ceil ? ", ceil" : "");
}
