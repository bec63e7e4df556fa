using System.Text.RegularExpressions;
using CnnGen.Tool;

namespace CnnGen.Generator.Tests;

/// <summary>
/// What the diagrams say, read from the SVG text; how they look to a reader is <see cref="DiagramDomTests"/>'s.
/// </summary>
public class DiagramTests
{
    [Fact]
    public void Repeated_blocks_are_drawn_once_with_a_badge_and_shapes_on_the_edges()
    {
        var svg = Diagram.Render(Pipeline.CompileZoo("inception_v4.cnn.yaml").Model!);
        Assert.Contains(">InceptionV4<", svg);
        Assert.Contains("42,679,816 parameters", svg);
        foreach (var badge in new[] { ">x4<", ">x7<", ">x3<" }) Assert.Contains(badge, svg);
        Assert.Contains(">384x35x35<", svg);
        var resnet = Diagram.Render(Pipeline.CompileZoo("resnet152.cnn.yaml").Model!);
        Assert.Contains(">x35<", resnet);
        Assert.Contains("marker-end=\"url(#arrow)\"", resnet);
    }

    [Fact]
    public void An_output_read_again_further_down_is_drawn_as_an_arc_from_its_box()
    {
        // The U-Net's decoder reads the four encoder stages: four arcs, the longest (inc into up4) outermost; the stages
        // take part in skips, so they are drawn one by one, not collapsed into "x4".
        var unet = Pipeline.CompileZoo("unet_padded.cnn.yaml").Model!;
        var boxes = Diagram.Boxes(unet);
        string Name(int index) => index < 0 ? "input" : boxes[index].Title;
        Assert.Equal(["down3.maxpool_conv > up1", "down2.maxpool_conv > up2", "down1.maxpool_conv > up3", "inc.double_conv > up4"],
            Diagram.SkipsOf(unet, boxes).Select(skip => $"{Name(skip.From)} > {Name(skip.To)}").ToArray());
        Assert.Equal(4, Regex.Matches(Diagram.Render(unet), "<g class=\"reads\">").Count);
        // LR-ASPP's head taps backbone.4, and its output is resized to the input's size; a ResNet reads nothing again.
        var lraspp = Pipeline.CompileZoo("lraspp_mobilenet_v3.cnn.yaml").Model!;
        var headBoxes = Diagram.Boxes(lraspp);
        Assert.Contains(Diagram.SkipsOf(lraspp, headBoxes), skip => skip.From >= 0 && headBoxes[skip.From].Title == "backbone.4");
        Assert.Contains(Diagram.SkipsOf(lraspp, headBoxes), skip => skip.From == -1);
        Assert.DoesNotContain("class=\"reads\"", Diagram.Render(Pipeline.CompileZoo("resnet50.cnn.yaml").Model!));
    }

    [Fact]
    public void Boxes_are_named_by_their_yaml_blocks_and_branches_by_what_they_hold()
    {
        var inception = Pipeline.CompileZoo("inception_v4.cnn.yaml").Model!;
        var boxes = Diagram.Boxes(inception);
        // The stages as Figure 9 and the YAML name them, the stem's modules under it; the module paths beside them.
        Assert.Equal(new[] { "stem · basic", "stem · mixed_3a", "stem · mixed_4a", "stem · mixed_5a", "inception-A", "reduction-A", "inception-B", "reduction-B", "inception-C", "global_pool > last_linear" },
            boxes.Select(box => box.Label ?? box.Title));
        Assert.Equal(new[] { "features.0 - features.2", "features.3", "features.4", "features.5", "features.6 - features.9", "features.10", "features.11 - features.17", "features.18", "features.19 - features.21" },
            boxes.Take(9).Select(box => box.Title));
        // Each branch as Figures 4 to 6 draw it; inception-C's split 1x3 and 3x1 pairs are in brackets, not "features".
        Assert.Equal(new[] { "1x1", "1x1-3x3", "1x1-3x3-3x3", "avgpool-1x1" }, boxes[4].Branches);
        Assert.Equal(new[] { "3x3/2", "1x1-3x3-3x3/2", "maxpool" }, boxes[5].Branches);
        Assert.Equal(new[] { "1x1", "1x1-(1x3|3x1)", "1x1-3x1-1x3-(1x3|3x1)", "avgpool-1x1" }, boxes[8].Branches);
        var svg = Diagram.Render(inception);
        foreach (var text in new[] { ">inception-C<", ">features.19 - features.21<", ">1x1-(1x3|3x1)<", ">input 3x299x299<", ">output<" }) Assert.Contains(text, svg);

        var googlenet = Diagram.Boxes(Pipeline.CompileZoo("googlenet.cnn.yaml").Models.Single(model => model.ClassName == "GoogLeNet"));
        var inception3 = googlenet.Single(box => box.Title == "inception3a - inception3b");
        Assert.Equal(("inception", 2), (inception3.Label, inception3.Repeats));
        Assert.Equal(new[] { "1x1", "1x1-3x3", "1x1-3x3", "maxpool-1x1" }, inception3.Branches);
    }

    [Fact]
    public void A_split_is_drawn_as_an_identity_part_beside_its_branch_and_a_gate_as_its_scale_path()
    {
        var shuffle = Diagram.Render(Pipeline.CompileZoo("shufflenet_v2.cnn.yaml").Model!);
        // stage2.1 to stage2.3 split the channels: one box, x3, the identity part drawn empty beside branch2.
        Assert.Contains(">stage2.1 - stage2.3<", shuffle);
        Assert.Contains(">split into 2 parts, concat, 3 convs, 9 layers, 7,598 params<", shuffle);
        Assert.Contains(">channel shuffle g=2<", shuffle);
        // One identity part a stage (the stride-2 unit opening it concatenates two branches of the whole input),
        // each an empty (white) part box.
        Assert.Contains(">stage3.0<", shuffle);
        Assert.Equal(3, Regex.Matches(shuffle, "fill=\"#ffffff\"[^\n]*\n<text[^>]*>identity<").Count);
        Assert.Equal(3, Regex.Matches(shuffle, ">identity<").Count);

        var efficient = Diagram.Render(Pipeline.CompileZoo("efficientnet.cnn.yaml").Models.Single(m => m.ClassName == "EfficientNetB0"));
        // The squeeze-and-excitation is drawn inside its MBConv block (not as a block of its own): 16 blocks in
        // 12 boxes, the first block of each stage apart from the residual ones after it.
        Assert.Equal(12, Regex.Matches(efficient, ">SE gate: avgpool &gt; conv 1x1 &gt; silu &gt; conv 1x1 &gt; sigmoid<").Count);
        Assert.DoesNotContain("block.", efficient);
        Assert.Contains(">features.2.0<", efficient);
        Assert.Contains(">features.6.1 - features.6.3<", efficient);
        Assert.Contains(">silu, stochastic depth<", efficient);
        // Named by the YAML's blocks (the list-bodied mbconv_block that chooses mbconv or mbconv_res shows too).
        var efficientBoxes = Diagram.Boxes(Pipeline.CompileZoo("efficientnet.cnn.yaml").Models.Single(m => m.ClassName == "EfficientNetB0"));
        Assert.Equal(new[] { "stage · mbconv_block", "stage · mbconv_block · mbconv", "stage · mbconv_block · mbconv_res" }, new[] { "features.1", "features.2.0", "features.2.1" }.Select(path => efficientBoxes.Single(box => box.Title == path).Label));

        var convnext = Diagram.Render(Pipeline.CompileZoo("convnext.cnn.yaml").Model!);
        Assert.Contains(">channels-last, layer norm, linear per pixel, gelu, layer scale,<", convnext);
        Assert.Contains(">x9<", convnext);
    }

    [Fact]
    public void Blocks_of_different_stages_do_not_collapse_and_long_ranges_stay_readable()
    {
        var regnet = Diagram.Render(Pipeline.CompileZoo("regnet.cnn.yaml").Model!);
        Assert.Contains(">trunk_output.block1.block1-0<", regnet);
        Assert.Contains(">trunk_output.block3.block3-1 - block3-5<", regnet);
        Assert.Contains(">x5<", regnet);
    }

    /// <summary>
    /// README promises every zoo class in docs/diagrams. They are what <c>cnngen diagram file -o docs/diagrams/Class.svg
    /// --class Class</c> writes; VERIFY_AUTOVERIFY=1 rewrites the stale or missing ones, as for snapshots.
    /// </summary>
    [Fact]
    public void Every_zoo_class_has_its_current_diagram_in_docs()
    {
        var folder = Path.GetFullPath(Path.Combine(RepoRoot(), "docs", "diagrams"));
        var stale = new List<string>();
        foreach (var file in Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Zoo"), "*.cnn.yaml").Order(StringComparer.Ordinal))
        foreach (var model in Pipeline.CompileZoo(Path.GetFileName(file)).Models)
        {
            var path = Path.Combine(folder, model.ClassName + ".svg");
            var svg = Diagram.Render(model);
            if (File.Exists(path) && File.ReadAllText(path) == svg) continue;
            if (Environment.GetEnvironmentVariable("VERIFY_AUTOVERIFY") == "1") File.WriteAllText(path, svg);
            else stale.Add($"{model.ClassName} ({Path.GetFileName(file)})");
        }
        Assert.True(stale.Count == 0, $"docs/diagrams lacks or has an old diagram of {string.Join(", ", stale)}: " +
            "run cnngen diagram architectures/FILE -o docs/diagrams/CLASS.svg --class CLASS, or this test with VERIFY_AUTOVERIFY=1");
    }

    internal static string RepoRoot([System.Runtime.CompilerServices.CallerFilePath] string file = "") => Path.Combine(Path.GetDirectoryName(file)!, "..", "..");
}
