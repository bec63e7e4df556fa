using CnnGen.Generator.Graph;
using CnnGen.Generator.Layers;

namespace CnnGen.Generator.Tests;

/// <summary>
/// What YOLOv8n needed from the DSL: the <c>dfl</c> layer (Ultralytics' DFL over the anchors of several box maps),
/// <c>identity</c> as a concat branch (C2f's cat(y1, m0(y1))), <c>register_order</c> (C2f registers cv2 before m, which
/// runs first), outputs of a mapping that is a list item by path (<c>model.22.p3</c>), and an upsample by a factor
/// joined with other maps tying the input size.
/// </summary>
public class DetectionTests
{
    private static Analysis.NetworkModel Model(string yaml)
    {
        var result = Pipeline.Compile(yaml);
        Assert.True(result.Problems.All(problem => problem.Severity != Diagnostics.ProblemSeverity.Error), string.Join("\n", result.Problems));
        return result.Model!;
    }

    private const string Levels = "name: Net\ninput: [3, 64, 64]\nlayers:\n  b0: conv(64, k=3, s=8, p=1)\n  b1: conv(64, k=3, s=2, p=1)\n  b2: conv(64, k=3, s=2, p=1)\n";

    [Fact]
    public void Dfl_takes_the_levels_pixels_as_anchors_and_gives_4_distances_each()
    {
        var model = Model(Levels + "  dfl: dfl(16, level2=b1, level3=b2, from=b0)\n");
        var row = model.Layers.Single(layer => layer.Path == "dfl");
        // 8x8 + 4x4 + 2x2 anchors; 16 parameters (the fixed arange(16) weight), 4 sides x 16 bins per anchor.
        Assert.Equal("4x84", row.Output.ToString());
        Assert.Equal(16, row.Parameters);
        Assert.Equal(4 * 84 * 16, row.Macs);
        Assert.Contains(model.StateDict.Tensors, tensor => tensor.Name == "dfl.conv.weight" && tensor.Shape.SequenceEqual(new long[] { 1, 16, 1, 1 }) && !tensor.IsBuffer);
        var step = model.Steps.Single(s => s.Kind == "dfl");
        Assert.Equal(3, step.Inputs.Count);
        Assert.IsType<DflOp>(step.Operation);
        Assert.Contains("Forward.Dfl(", step.Template);
    }

    [Fact]
    public void Dfl_on_one_level_reads_its_input_only()
    {
        var model = Model(Levels + "  dfl: dfl(from=b1)\n");
        Assert.Equal("4x16", model.Layers.Single(layer => layer.Path == "dfl").Output.ToString());
        Assert.Single(model.Steps.Single(s => s.Kind == "dfl").Inputs);
    }

    [Theory]
    [InlineData("  c: conv(32, k=1)\n  dfl: dfl(16)\n", "CNN0008", "a box map of 4 x reg_max = 64 channels", 7, 7)]
    [InlineData("  dfl: dfl(1, from=b0)\n", "CNN0007", "needs at least two bins", 6, 11)]
    [InlineData("  c: conv(8, k=1)\n  dfl: dfl(16, level2=c, from=b0)\n", "CNN0007", "every level is a box map of 64 channels", 7, 22)]
    [InlineData("  dfl: dfl(16, level3=b2, from=b0)\n", "CNN0007", "follows a missing 'level2'", 6, 22)]
    [InlineData("  dfl: dfl(16, level2=nowhere, from=b0)\n", "CNN0025", "nowhere", 6, 22)]
    public void Dfl_mistakes_are_located(string layers, string id, string fact, int line, int column)
    {
        var problems = Pipeline.Compile(Levels + layers).Problems.Where(problem => problem.Severity == Diagnostics.ProblemSeverity.Error).ToList();
        var problem = Assert.Single(problems);
        Assert.Equal(id, problem.Id);
        Assert.True(problem.Message.Contains(fact), problem.Message);
        Assert.Equal((line, column), (problem.Span.StartLine, problem.Span.StartColumn));
    }

    private const string C2f = """
        name: Net
        input: [3, 16, 16]
        blocks:
          unit(c):
            cv1: conv(c, k=3, p=1)
            cv2: conv(c, k=3, p=1)
          c2f(c2):
            register_order: [cv1, cv2, m]
            cv1: conv(c2, k=1)
            split:
              - identity
              - concat:
                  - identity
                  - m: [unit(c2 // 2, output=m0), unit(c2 // 2, output=m1)]
                    ms: concat(m0, m1)
            cv2: conv(c2, k=1)
        layers:
          model:
            - c2f(8)
            - a: conv(4, k=1)
              b: conv(4, k=1, from=a)
        outputs: { a: model.1.a, b: model.1.b }
        """;

    [Fact]
    public void A_C2f_registers_cv1_cv2_m_and_concatenates_y0_y1_and_each_bottleneck()
    {
        var model = Model(C2f);
        var weights = model.StateDict.Tensors.Where(tensor => tensor.Name.EndsWith(".weight", StringComparison.Ordinal)).Select(tensor => tensor.Name).ToList();
        Assert.Equal(["model.0.cv1.weight", "model.0.cv2.weight", "model.0.m.0.cv1.weight", "model.0.m.0.cv2.weight", "model.0.m.1.cv1.weight",
            "model.0.m.1.cv2.weight", "model.1.a.weight", "model.1.b.weight"], weights);
        // cv2 reads cat(y0, y1, m0, m1): 4 x 4 channels.
        Assert.Contains(model.StateDict.Tensors, tensor => tensor.Name == "model.0.cv2.weight" && tensor.Shape.SequenceEqual(new long[] { 8, 16, 1, 1 }));
        // The forward still runs m before cv2.
        var convs = model.Steps.Where(step => step.Kind == "conv").Select(step => step.Path).ToList();
        Assert.True(convs.IndexOf("model.0.m.1.cv2") < convs.IndexOf("model.0.cv2"));
        // A mapping that is a list item exports its outputs by path.
        Assert.Equal(["a", "b"], model.NamedOutputs.Select(output => output.Name));
    }

    [Theory]
    [InlineData("register_order: [cv1, cv3]", "'cv3' is not a module of this mapping (cv1, cv2)")]
    [InlineData("register_order: [cv2, cv2]", "'cv2' is listed twice in register_order")]
    [InlineData("register_order: cv2", "lists the modules of this mapping by name")]
    public void Register_order_mistakes_are_located(string order, string fact)
    {
        var yaml = $"name: Net\ninput: [3, 8, 8]\nlayers:\n  blk:\n    {order}\n    cv1: conv(4, k=1)\n    cv2: conv(4, k=1)\n";
        var problem = Assert.Single(Pipeline.Compile(yaml).Problems, p => p.Severity == Diagnostics.ProblemSeverity.Error);
        Assert.Equal("CNN0003", problem.Id);
        Assert.True(problem.Message.Contains(fact), problem.Message);
        Assert.Equal(4, problem.Span.StartLine);
    }

    [Fact]
    public void An_upsample_by_a_factor_joined_with_other_maps_takes_the_sizes_at_which_they_agree()
    {
        // a is ceil(H / 2), up is 2 * ceil(H / 4): equal when ceil(H / 2) is even, i.e. H mod 4 is 0 or 3.
        const string neck = "name: Net\ninput: [3, 64, 64]\nlayers:\n  a: conv(8, k=3, s=2, p=1)\n  b: conv(8, k=3, s=2, p=1)\n  up: upsample(2, bilinear=false)\n  cat: concat(a, up)\n";
        var model = Model(neck);
        Assert.False(model.FixedInputSize);
        Assert.Equal((3L, 3L), model.MinimumInput);
        Assert.Equal(2, model.SizeConstraints.Count);
        Assert.All(model.SizeConstraints, constraint => Assert.Equal("cat", constraint.Where));
        Assert.Equal(new long[] { 3, 4, 7, 8, 11, 12, 63, 64 }, new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 63, 64 }.Where(h => model.SatisfiesConstraints(h, true)));
        // Upsampling alone, with nothing joined after it, keeps every size (a segmentation head's last layer).
        var alone = Model("name: Net\ninput: [3, 64, 64]\nlayers:\n  a: conv(8, k=3, s=2, p=1)\n  up: upsample(2)\n");
        Assert.False(alone.FixedInputSize);
        Assert.Empty(alone.SizeConstraints);
        // A symbolic input is generated at the smallest size that works.
        var symbolic = Pipeline.Compile(neck.Replace("[3, 64, 64]", "[3, H, W]"));
        Assert.Empty(symbolic.Problems);
        Assert.Equal((3L, 3L), symbolic.Model!.MinimumInput);
        Assert.Equal("3x3x3", symbolic.Model.Input.ToString());
        Assert.Equal("8 x 2 * floor((H - 1) / 4) + 2 x 2 * floor((W - 1) / 4) + 2", symbolic.Model.Layers.Single(row => row.Path == "up").Formula);
    }

    [Fact]
    public void An_upsampled_map_whose_size_the_analysis_cannot_follow_still_ties_the_input_size()
    {
        // Upsampled by 2 then strided by 3: ceil(2 * ceil(H / 2) / 3) is not of the form the sizes are tracked in.
        const string neck = "name: Net\ninput: [3, 512, 512]\nlayers:\n  x: conv(8, k=1)\n  b: conv(8, k=1, s=2)\n  up: upsample(2, bilinear=false)\n  d: conv(8, k=1, s=3)\n  a: conv(8, k=1, s=3, from=x)\n  cat: concat(a, d)\n";
        var model = Model(neck);
        Assert.True(model.FixedInputSize);
        Assert.Equal((512L, 512L), model.MinimumInput);
        Assert.Equal("8 x 171 x 171", model.Layers.Single(row => row.Path == "d").Formula);
        var symbolic = Pipeline.Compile(neck.Replace("[3, 512, 512]", "[3, H, W]"));
        Assert.Contains(symbolic.Problems, p => p.Id == "CNN0022" && p.Message.Contains("an upsample by a factor is joined"));
    }
}
