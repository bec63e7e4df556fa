namespace CnnGen.Samples.Training;

/// <summary>Training loss (left axis) and test accuracy (right axis) per epoch, as a PNG (ScottPlot).</summary>
public static class TrainingPlot
{
    public static void Save(string path, IReadOnlyList<double> losses, IReadOnlyList<double> accuracies)
    {
        var epochs = Enumerable.Range(1, losses.Count).Select(e => (double)e).ToArray();
        var plot = new ScottPlot.Plot();
        var loss = plot.Add.Scatter(epochs, losses.ToArray());
        loss.LegendText = "training loss";
        var accuracy = plot.Add.Scatter(epochs, accuracies.Select(a => 100 * a).ToArray());
        accuracy.LegendText = "test accuracy (%)";
        accuracy.Axes.YAxis = plot.Axes.Right;
        plot.Axes.Left.Label.Text = "cross-entropy loss";
        plot.Axes.Right.Label.Text = "test accuracy (%)";
        plot.XLabel("epoch");
        plot.Title("LeNet-5 on the UCI handwritten digits");
        plot.ShowLegend();
        plot.SavePng(path, 900, 450);
    }
}
