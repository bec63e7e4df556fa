using CnnGen.Tool;
using Spectre.Console;

namespace CnnGen.Generator.Tests;

/// <summary>
/// 'cnngen summary': the layer table as a tree of groups with their totals (<c>--depth</c> limits it), and on a
/// file with errors the layers analysed before the error with their shapes, then the error.
/// </summary>
public class SummaryTests
{
    private const string Broken =
        "name: Net\ninput: [3, 32, 32]\nblocks:\n  unit(width):\n    conv: conv(width, k=3, p=1, bias=false)\n    bn: bn\n    relu: relu\n" +
        "layers:\n  stem: conv(16, k=3, p=1)\n  stage1: 2x unit(32)\n  pool: maxpool(k=2)\n  fc: linear(10)\n  out: linear(10)\n";

    /// <summary>Runs the command into a wide, colourless console and returns its exit code and its lines (indentation as spaces).</summary>
    private static (int Code, string[] Lines) Run(string path, int? depth = null)
    {
        var writer = new StringWriter();
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Ansi = AnsiSupport.No,
            ColorSystem = ColorSystemSupport.NoColors,
            Interactive = InteractionSupport.No,
            Out = new AnsiConsoleOutput(writer),
        });
        console.Profile.Width = 240;
        var code = Commands.Summary(path, depth, console);
        return (code, writer.ToString().Replace('\u00A0', ' ').Split('\n').Select(line => line.TrimEnd('\r')).ToArray());
    }

    /// <summary>The cells of a table line, trimmed, except the layer column's indentation.</summary>
    private static string[] Cells(string line) =>
        line.Split('│')[1..^1].Select((cell, column) => column == 0 ? cell.Substring(1).TrimEnd() : cell.Trim()).ToArray();

    private static string[] TableRows(string[] lines) => lines.Where(line => line.StartsWith('│')).Skip(1).ToArray();

    [Fact]
    public void A_file_with_an_error_shows_the_layers_before_it_with_their_shapes_then_the_error()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cnngen-summary-{Guid.NewGuid():N}.cnn.yaml");
        File.WriteAllText(path, Broken);
        try
        {
            // The generator still emits nothing for the file; only the analysed model is kept.
            var result = CompileNetwork.Run(Path.GetFullPath(path), Broken, "N");
            Assert.Empty(result.Networks);
            Assert.Equal(new[] { "stem", "stage1.0.conv", "stage1.0.bn", "stage1.0.relu", "stage1.1.conv", "stage1.1.bn", "stage1.1.relu", "pool" },
                result.Models.Single().Layers.Select(row => row.Path));

            var (code, lines) = Run(path);
            Assert.Equal(1, code);
            var rows = TableRows(lines).Select(Cells).ToList();
            Assert.Equal(new[] { "stem", "stage1", "  0", "    conv", "    bn", "    relu", "  1", "    conv", "    bn", "    relu", "pool" }, rows.Select(cells => cells[0]));
            Assert.Equal(new[] { "conv 3x3", "16x32x32", "448" }, rows[0][1..4]);
            Assert.Equal(new[] { "conv 3x3", "32x32x32", "4,608" }, rows[3][1..4]);
            Assert.Equal(new[] { "maxpool 2x2/2", "32x16x16", "0" }, rows[^1][1..4]);
            var error = $"{path}(12,7): error CNN0018: 'fc' (linear) receives 32x16x16 but needs a flat vector; add 'flatten' (or 'gap') before it";
            var errorLine = Array.IndexOf(lines, error);
            Assert.True(errorLine > Array.FindLastIndex(lines, line => line.StartsWith('│')), string.Join("\n", lines));
            Assert.Equal("1 error(s)", lines[errorLine + 1]);
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Groups_are_rows_with_the_totals_of_what_they_hold_indented_by_level()
    {
        var model = Pipeline.CompileZoo("resnet50.cnn.yaml").Model!;
        var tree = LayerTree.Build(model.Layers);
        // Every layer appears once, in order, under its groups; every group sums exactly its layers.
        Assert.Equal(model.Layers.Select(row => row.Path), tree.Where(row => !row.IsGroup).Select(row => row.Path));
        foreach (var group in tree.Where(row => row.IsGroup))
        {
            var inside = model.Layers.Where(row => row.Path.StartsWith(group.Path + ".", StringComparison.Ordinal)).ToList();
            Assert.Equal((inside.Count, inside.Sum(row => row.Parameters), inside.Sum(row => row.Macs)), (group.Layers, group.Parameters, group.Macs));
            Assert.Null(group.Output);
        }
        Assert.Equal(new[] { 1, 2, 3, 3, 3, 3, 3, 3, 3, 3, 3, 4, 4 },
            tree.SkipWhile(row => row.Path != "layer1").Take(13).Select(row => row.Level));
        Assert.Equal(new[] { "layer1", "0", "conv1" }, tree.SkipWhile(row => row.Path != "layer1").Take(3).Select(row => row.Name));

        var (code, lines) = Run(Pipeline.ZooPath("resnet50.cnn.yaml"));
        Assert.Equal(0, code);
        var rows = TableRows(lines).Select(Cells).ToList();
        Assert.Equal(tree.Count, rows.Count);
        // A group's output is that of its last step; a block's join is named beside its layer count.
        Assert.Contains(new[] { "layer1", "29 layers", "256x56x56", "215,808", "667,942,912" }, rows);
        Assert.Contains(new[] { "  0", "11 layers, residual", "256x56x56", "75,008", "231,211,008" }, rows);
        Assert.Contains(new[] { "      0", "conv 1x1", "256x56x56", "16,384", "51,380,224" }, rows); // layer1.0.downsample.0
    }

    [Fact]
    public void Depth_limits_how_deep_rows_go_and_keeps_the_totals()
    {
        var (code, lines) = Run(Pipeline.ZooPath("resnet50.cnn.yaml"), depth: 1);
        Assert.Equal(0, code);
        var rows = TableRows(lines).Select(Cells).ToList();
        Assert.Equal(new[] { "conv1", "bn1", "relu", "maxpool", "layer1", "layer2", "layer3", "layer4", "avgpool", "fc" }, rows.Select(cells => cells[0]));
        Assert.Equal(25_557_032, rows.Sum(cells => long.Parse(cells[3].Replace(",", ""))));

        var two = TableRows(Run(Pipeline.ZooPath("resnet50.cnn.yaml"), depth: 2).Lines).Select(Cells).ToList();
        Assert.Equal(10 + 3 + 4 + 6 + 3, two.Count);
        Assert.Contains(new[] { "  0", "11 layers, residual", "256x56x56", "75,008", "231,211,008" }, two);
    }

    /// <summary>The top-level rows of a zoo file's summary (one class) add up to its published count.</summary>
    private static List<string[]> Rows(string file, int? depth = null)
    {
        var (code, lines) = Run(Pipeline.ZooPath(file), depth);
        Assert.Equal(0, code);
        return TableRows(lines.TakeWhile(line => !line.StartsWith('╰')).ToArray()).Select(Cells).ToList();
    }

    [Theory]
    [InlineData("shufflenet_v2.cnn.yaml", 2_278_604)]
    [InlineData("convnext.cnn.yaml", 28_589_128)]
    [InlineData("efficientnet.cnn.yaml", 5_288_548)]
    public void The_groups_of_a_network_with_gates_splits_and_layer_scale_add_up_to_its_published_count(string file, long published) =>
        Assert.Equal(published, Rows(file, depth: 1).Sum(cells => long.Parse(cells[3].Replace(",", ""))));

    [Fact]
    public void Split_gate_and_layer_scale_rows_name_their_join_with_its_output()
    {
        var shuffle = Rows("shufflenet_v2.cnn.yaml", depth: 3);
        // The stride-2 unit concatenates two branches; the others split the channels, half through branch2.
        Assert.Contains(new[] { "stage2", "41 layers", "116x28x28", "30,192", "25,724,608" }, shuffle);
        Assert.Contains(new[] { "  0", "14 layers, concat of 2 branches", "116x28x28", "7,398", "8,672,608" }, shuffle);
        Assert.Contains(new[] { "  1", "9 layers, split into 2 parts", "116x28x28", "7,598", "5,684,000" }, shuffle);
        Assert.Contains(new[] { "    branch2", "8 layers", "58x28x28", "7,598", "5,684,000" }, shuffle);
        Assert.Contains(new[] { "    shuffle", "channel_shuffle g=2", "116x28x28", "0", "0" }, shuffle);

        // EfficientNet-B0's first squeeze-and-excitation: x * sigmoid(fc2(silu(fc1(avgpool(x))))) keeps x's shape.
        var efficient = Rows("efficientnet.cnn.yaml");
        Assert.Contains(new[] { "        1", "5 layers, gate x * s(x)", "32x112x112", "552", "512" }, efficient);
        Assert.Contains(new[] { "          fc1", "conv 1x1", "8x1x1", "264", "256" }, efficient);
        Assert.Contains(new[] { "      stochastic_depth", "stochastic_depth p=0.025", "24x56x56", "0", "0" }, efficient); // features.2.1

        // ConvNeXt's layer scale is a parameter of its block: a row of its own, C parameters.
        var convnext = Rows("convnext.cnn.yaml", depth: 4);
        Assert.Contains(new[] { "    0", "9 layers, residual", "96x56x56", "79,296", "245,962,752" }, convnext);
        Assert.Contains(new[] { "      layer_scale", "layer_scale init=1E-06", "96x56x56", "96", "0" }, convnext);
        Assert.Contains(new[] { "      stochastic_depth", "stochastic_depth p=0.005882", "96x56x56", "0", "0" }, convnext); // features.1.1: 0.1 * 1 / 17
    }

    [Fact]
    public void A_missing_file_is_exit_code_2() => Assert.Equal(2, Run("/no/such/file.cnn.yaml").Code);

    [Fact]
    public void Piped_to_another_program_every_row_stays_on_one_line()
    {
        // Standard output is a pipe here, as in 'cnngen summary net.cnn.yaml > table.txt' (issue 27: rows wrapped at
        // about 80 columns, 'stochasti' / 'c_depth', whatever COLUMNS said).
        var (code, output, error) = CnnGen.Tests.Shared.ChildProcess.Run("dotnet",
            new[] { Path.Combine(AppContext.BaseDirectory, "cnngen.dll"), "summary", Pipeline.ZooPath("convnext.cnn.yaml") }, TimeSpan.FromMinutes(2));
        Assert.True(code == 0, error);
        var lines = output.Replace('\u00A0', ' ').Split('\n').Select(line => line.TrimEnd('\r')).ToArray();
        var rows = TableRows(lines).Select(Cells).ToList();
        Assert.Contains(rows, cells => cells[0].Trim() == "stochastic_depth" || cells[1].StartsWith("stochastic_depth", StringComparison.Ordinal));
        // One table line per row: a wrapped row continues on lines whose parameter cell is empty.
        Assert.All(rows, cells => Assert.True(cells[3].Length > 0, $"a wrapped line: {string.Join(" | ", cells)}"));
        Assert.DoesNotContain('\u001b', output);
    }

    [Fact]
    public void Rows_come_in_the_order_the_constructor_registers_the_modules()
    {
        // RegNet's block registers the shortcut 'proj' before the body 'f' (torchvision's order, so the state dict's),
        // though the forward runs 'f' first; the summary lists them as the state dict does.
        var (code, lines) = Run(Pipeline.ZooPath("regnet.cnn.yaml"));
        Assert.Equal(0, code);
        var names = TableRows(lines).Select(Cells).Select(cells => cells[0]).ToList();
        var block = names.IndexOf("    block1-0");
        Assert.True(block >= 0, string.Join("\n", names));
        var children = names.Skip(block + 1).TakeWhile(name => name.StartsWith("      ", StringComparison.Ordinal)).Where(name => !name.StartsWith("       ", StringComparison.Ordinal)).Select(name => name.Trim()).ToList();
        Assert.Equal(new[] { "proj", "f" }, children.Take(2));
        var stateDict = Pipeline.CompileZoo("regnet.cnn.yaml").Models.First().StateDict.Tensors.Select(t => t.Name).ToList();
        Assert.True(stateDict.FindIndex(k => k.Contains("block1-0.proj.")) < stateDict.FindIndex(k => k.Contains("block1-0.f.")));
    }
}
