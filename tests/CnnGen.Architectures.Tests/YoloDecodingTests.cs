using CnnGen.Runtime;
using CnnGen.Runtime.Detection;
using CnnGen.Runtime.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// YoloDecoding against Ultralytics' Detect inference and non_max_suppression as make_yolo_decoding.py writes them out
/// (Ultralytics is not installed here) with torchvision's own nms: the decoded boxes and probabilities, and the boxes kept
/// in three cases (reaching max_det, class-aware, class-agnostic).
/// </summary>
public class YoloDecodingTests(ITestOutputHelper output)
{
    private static SafetensorsFile Reference() => SafetensorsFile.Open(Path.Combine(ReferenceData.GetYoloDecoding(), "decoding.safetensors"));

    private static float MaxDifference(Tensor actual, Tensor expected) => actual.numel() == 0 ? 0 : (actual - expected).abs().max().item<float>();

    [Fact]
    public void Decoding_gives_ultralytics_boxes_and_probabilities()
    {
        using var scope = NewDisposeScope();
        using var reference = Reference();
        var levels = new[] { reference.ReadTensor("p3"), reference.ReadTensor("p4"), reference.ReadTensor("p5") };
        var expected = reference.ReadTensor("y");

        // The runtime's DFL on the box channels gives the reference's distances too.
        using var dfl = new Dfl();
        var boxChannels = cat(levels.Select(level => level.view(2, 67, -1).narrow(1, 0, 64)).ToArray(), 2);
        var distances = dfl.forward(boxChannels);
        Assert.True(MaxDifference(distances, reference.ReadTensor("distances")) < 1e-5f);

        var decoded = YoloDecoding.Decode(levels, distances);
        Assert.Equal(new long[] { 2, 7, 32 * 32 + 16 * 16 + 8 * 8 }, decoded.shape);
        var difference = MaxDifference(decoded, expected);
        var magnitude = expected.abs().max().item<float>();
        output.WriteLine($"decoded: max |difference| {difference:E2} of max {magnitude:G4}");
        Assert.True(difference <= 1e-5f * magnitude, $"max |difference| {difference:E3} of {magnitude:G4}");
    }

    [Theory]
    [InlineData("default", 0.25, 0.7, false)]
    [InlineData("classes", 0.5, 0.3, false)]
    [InlineData("agnostic", 0.4, 0.45, true)]
    public void Suppression_keeps_the_boxes_ultralytics_keeps(string name, double confidence, double iou, bool agnostic)
    {
        using var scope = NewDisposeScope();
        using var reference = Reference();
        var kept = YoloDecoding.NonMaxSuppression(reference.ReadTensor("y"), confidence, iou, classAgnostic: agnostic);
        Assert.Equal(2, kept.Count);
        for (var image = 0; image < 2; image++)
        {
            var boxes = reference.ReadTensor($"{name}.{image}.boxes");
            output.WriteLine($"{name} image {image}: {kept[image].Count} kept, reference {boxes.shape[0]}");
            Assert.Equal(boxes.shape, kept[image].Boxes.shape);
            Assert.True(MaxDifference(kept[image].Boxes, boxes) < 1e-3f, $"{name} image {image}: boxes differ");
            Assert.True(MaxDifference(kept[image].Scores, reference.ReadTensor($"{name}.{image}.scores")) < 1e-6f, $"{name} image {image}: scores differ");
            Assert.Equal(reference.ReadTensor($"{name}.{image}.classes").data<long>().ToArray(), kept[image].Classes.data<long>().ToArray());
        }
    }

    [Fact]
    public void YOLOv8n_outputs_decode_to_at_most_max_det_boxes_inside_the_image()
    {
        using var scope = NewDisposeScope();
        using var model = new YOLOv8n();
        model.eval();
        using var noGrad = no_grad();
        using var outputs = model.call(rand(1, 3, 640, 640));
        var decoded = YoloDecoding.Decode(new[] { outputs.P3, outputs.P4, outputs.P5 }, outputs.Dfl);
        Assert.Equal(new long[] { 1, 84, 8400 }, decoded.shape);
        var kept = YoloDecoding.NonMaxSuppression(decoded, confidence: 0.0, maxDetections: 50).Single();
        Assert.Equal(50, kept.Count);
        var boxes = kept.Boxes;
        Assert.True((boxes.select(1, 2) >= boxes.select(1, 0)).all().item<bool>());
        Assert.True(kept.Scores[..^1].ge(kept.Scores[1..]).all().item<bool>(), "best first");
        Assert.True((kept.Classes >= 0).all().item<bool>() && (kept.Classes < 80).all().item<bool>());
    }

    [Fact]
    public void Mismatched_outputs_are_refused_with_what_is_wrong()
    {
        using var scope = NewDisposeScope();
        var levels = new[] { zeros(1, 67, 8, 8), zeros(1, 67, 4, 4), zeros(1, 67, 2, 2) };
        var error = Assert.Throws<ArgumentException>(() => YoloDecoding.Decode(levels, zeros(1, 4, 80)));
        Assert.Contains("[1, 4, 84]", error.Message);
        error = Assert.Throws<ArgumentException>(() => YoloDecoding.Decode(levels.Take(2).ToArray(), zeros(1, 4, 80)));
        Assert.Contains("2 levels but 3 strides", error.Message);
        error = Assert.Throws<ArgumentException>(() => YoloDecoding.Decode(new[] { zeros(1, 60, 8, 8) }, zeros(1, 4, 64), strides: new long[] { 8 }));
        Assert.Contains("60 channels", error.Message);
        Assert.Throws<ArgumentOutOfRangeException>(() => YoloDecoding.NonMaxSuppression(zeros(1, 7, 10), iou: 1.5));
    }
}
