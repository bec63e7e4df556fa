namespace CnnGen.Samples.Transfer;

/// <summary>Test accuracy against the number of training images per class, one line for each way of learning, as a PNG (ScottPlot).</summary>
public static class TransferPlot
{
    public static readonly IReadOnlyDictionary<Learning, string> Names = new Dictionary<Learning, string>
    {
        [Learning.HeadOnly] = "transferred, head only",
        [Learning.ConvolutionsFrozen] = "transferred, convolutions frozen",
        [Learning.FromScratch] = "from scratch",
    };

    public static void Save(string path, IReadOnlyList<FewShotResult> results)
    {
        var perClass = results.Select(r => (double)r.PerClass).ToArray();
        var plot = new ScottPlot.Plot();
        foreach (var learning in Enum.GetValues<Learning>())
        {
            var line = plot.Add.Scatter(perClass, results.Select(r => 100 * r.Mean(learning)).ToArray());
            line.LegendText = Names[learning];
        }
        plot.Axes.SetLimitsY(0, 100);
        plot.XLabel("training images per class");
        plot.YLabel("test accuracy on digits 5-9 (%)");
        plot.Title("LeNet-5 pretrained on digits 0-4: digits 5-9 from a few images (mean of the seeds)");
        plot.ShowLegend();
        plot.SavePng(path, 900, 450);
    }
}
