using CnnGen.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// YOLOv8n against Ultralytics' own modules (ultralytics/nn/modules conv.py, block.py, head.py at yolov8.yaml scale n),
/// written out here from their constructors rather than from the YAML: every state-dict name and shape in Ultralytics'
/// registration order, the Detect head's raw maps and the DFL's box distances, and the DFL's fixed weights.
/// </summary>
public class YoloTests
{
    private sealed record Tensor(string Name, long[] Shape, bool Buffer);

    /// <summary>
    /// The tensors Ultralytics registers, module by module: Conv (conv, bn, act), C2f (cv1, cv2, m), Bottleneck (cv1, cv2),
    /// SPPF (cv1, cv2, m), Detect (cv2, cv3, dfl), with channels make_divisible(min(c, 1024) * 0.25, 8) and repeats
    /// max(round(n * 0.33), 1) of yolov8.yaml.
    /// </summary>
    private static List<Tensor> Ultralytics()
    {
        var list = new List<Tensor>();
        // Conv(c1, c2, k): Conv2d(c1, c2, k, padding=k // 2, bias=False), BatchNorm2d(c2).
        void Conv(string path, long c1, long c2, long k)
        {
            list.Add(new($"{path}.conv.weight", [c2, c1, k, k], false));
            list.Add(new($"{path}.bn.weight", [c2], false));
            list.Add(new($"{path}.bn.bias", [c2], false));
            list.Add(new($"{path}.bn.running_mean", [c2], true));
            list.Add(new($"{path}.bn.running_var", [c2], true));
            list.Add(new($"{path}.bn.num_batches_tracked", [], true));
        }
        // C2f(c1, c2, n): c = int(c2 * 0.5); cv1 = Conv(c1, 2c, 1); cv2 = Conv((2 + n)c, c2, 1); m = n x Bottleneck(c, c, e=1.0).
        void C2f(string path, long c1, long c2, int n)
        {
            var c = c2 / 2;
            Conv($"{path}.cv1", c1, 2 * c, 1);
            Conv($"{path}.cv2", (2 + n) * c, c2, 1);
            for (var i = 0; i < n; i++)
            {
                Conv($"{path}.m.{i}.cv1", c, c, 3);
                Conv($"{path}.m.{i}.cv2", c, c, 3);
            }
        }
        // SPPF(c1, c2, 5): cv1 = Conv(c1, c1 // 2, 1), cv2 = Conv(4 * (c1 // 2), c2, 1).
        void Sppf(string path, long c1, long c2)
        {
            Conv($"{path}.cv1", c1, c1 / 2, 1);
            Conv($"{path}.cv2", 4 * (c1 / 2), c2, 1);
        }
        Conv("model.0", 3, 16, 3);
        Conv("model.1", 16, 32, 3);
        C2f("model.2", 32, 32, 1);
        Conv("model.3", 32, 64, 3);
        C2f("model.4", 64, 64, 2);
        Conv("model.5", 64, 128, 3);
        C2f("model.6", 128, 128, 2);
        Conv("model.7", 128, 256, 3);
        C2f("model.8", 256, 256, 1);
        Sppf("model.9", 256, 256);
        C2f("model.12", 256 + 128, 128, 1);
        C2f("model.15", 128 + 64, 64, 1);
        Conv("model.16", 64, 64, 3);
        C2f("model.18", 64 + 128, 128, 1);
        Conv("model.19", 128, 128, 3);
        C2f("model.21", 128 + 256, 256, 1);
        // Detect(nc=80, ch=(64, 128, 256)): reg_max 16, c2 = max(16, ch[0] // 4, 64) = 64, c3 = max(ch[0], min(nc, 100)) = 80.
        long[] ch = [64, 128, 256];
        foreach (var (branch, width, outputs) in new[] { ("cv2", 64L, 64L), ("cv3", 80L, 80L) })
            for (var i = 0; i < ch.Length; i++)
            {
                Conv($"model.22.{branch}.{i}.0", ch[i], width, 3);
                Conv($"model.22.{branch}.{i}.1", width, width, 3);
                list.Add(new($"model.22.{branch}.{i}.2.weight", [outputs, width, 1, 1], false));
                list.Add(new($"model.22.{branch}.{i}.2.bias", [outputs], false));
            }
        list.Add(new("model.22.dfl.conv.weight", [1, 16, 1, 1], false));
        return list;
    }

    private static string Describe(string name, IEnumerable<long> shape) => $"{name} [{string.Join(",", shape)}]";

    [Fact]
    public void The_state_dict_is_Ultralytics_in_its_registration_order()
    {
        var expected = Ultralytics();
        using var model = Zoo.Get("YOLOv8n").CreateModule();
        // Parameters and buffers each in registration order (TorchSharp's state_dict lists all parameters first).
        Assert.Equal(expected.Where(t => !t.Buffer).Select(t => Describe(t.Name, t.Shape)),
            model.named_parameters().Select(pair => Describe(pair.name, pair.parameter.shape)));
        Assert.Equal(expected.Where(t => t.Buffer).Select(t => Describe(t.Name, t.Shape)),
            model.named_buffers().Select(pair => Describe(pair.name, pair.buffer.shape)));
        Assert.Equal(expected.Count, model.state_dict().Count);

        // "YOLOv8n summary: 225 layers, 3157200 parameters, 3157184 gradients".
        Assert.Equal(3_157_200L, model.parameters().Sum(p => p.numel()));
        Assert.Equal(3_157_184L, model.parameters().Where(p => p.requires_grad).Sum(p => p.numel()));
        Assert.Equal(3_157_200L, Zoo.Get("YOLOv8n").ParameterCount);
        Assert.Equal(3_157_200L, Zoo.Get("YOLOv8n").PublishedParameterCount);
    }

    [Fact]
    public void It_returns_the_three_raw_maps_and_the_DFL_distances_of_8400_anchors()
    {
        var info = Zoo.Get("YOLOv8n");
        Assert.Equal(["p3", "p4", "p5", "dfl"], info.Outputs);
        using var scope = NewDisposeScope();
        using var model = info.CreateModule();
        model.eval();
        manual_seed(26);
        var input = rand(1, 3, 640, 640);
        var outputs = Zoo.Outputs(model, input);
        Assert.Equal([[1, 144, 80, 80], [1, 144, 40, 40], [1, 144, 20, 20], [1, 4, 8400]], outputs.Select(o => o.shape).ToArray());

        // Ultralytics' Detect: box = cat([xi.view(b, 144, -1) ...], 2).split((64, 80), 1)[0]; dfl(box) is the expectation of
        // softmax over 16 bins per side, written here without the module.
        var box = cat(outputs.Take(3).Select(o => o.flatten(2)).ToArray(), 2).narrow(1, 0, 64);
        var expected = (box.view(1, 4, 16, 8400).softmax(2) * arange(16, dtype: float32).view(1, 1, 16, 1)).sum(2);
        Assert.True(allclose(outputs[3], expected, rtol: 1e-5, atol: 1e-5), $"largest difference {(outputs[3] - expected).abs().max().item<float>()}");
    }

    [Fact]
    public void The_DFL_weight_is_arange_16_and_takes_no_gradient()
    {
        using var scope = NewDisposeScope();
        using var model = Zoo.Get("YOLOv8n").CreateModule();
        model.train();
        var weight = model.named_parameters().Single(pair => pair.name == "model.22.dfl.conv.weight").parameter;
        Assert.False(weight.requires_grad);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (float)i), weight.flatten().data<float>().ToArray());

        manual_seed(8);
        var outputs = Zoo.Outputs(model, rand(1, 3, 640, 640));
        Assert.Equal([1, 4, 8400], outputs[3].shape);
        var loss = outputs.Select(o => o.square().mean()).Aggregate((a, b) => a + b);
        loss.backward();
        Assert.True(weight.grad is null || weight.grad.IsInvalid || weight.grad.numel() == 0);
        var stem = model.named_parameters().Single(pair => pair.name == "model.0.conv.weight").parameter;
        Assert.NotNull(stem.grad);
        Assert.Equal(Enumerable.Range(0, 16).Select(i => (float)i), weight.flatten().data<float>().ToArray());
    }

    [Fact]
    public void Freezing_and_unfreezing_leave_the_DFL_weight_fixed()
    {
        // Fine-tuning freezes the backbone and unfreezes later: the DFL's arange(16) must never start training.
        using var model = new YOLOv8n();
        var weight = model.named_parameters().Single(pair => pair.name == "model.22.dfl.conv.weight").parameter;
        var frozen = model.Freeze(upTo: "model.9");
        Assert.Contains("model.9.cv2.conv.weight", frozen);
        Assert.False(model.named_parameters().Single(pair => pair.name == "model.9.cv2.conv.weight").parameter.requires_grad);
        Assert.True(model.named_parameters().Single(pair => pair.name == "model.22.cv2.0.2.weight").parameter.requires_grad);
        Assert.False(weight.requires_grad);
        model.Unfreeze();
        Assert.True(model.named_parameters().Single(pair => pair.name == "model.9.cv2.conv.weight").parameter.requires_grad);
        Assert.False(weight.requires_grad);
        Assert.Equal(3_157_184L, model.parameters().Where(p => p.requires_grad).Sum(p => p.numel()));
    }

    [Theory]
    [InlineData(320, 320)]
    [InlineData(640, 480)]
    [InlineData(416, 416)]
    public void It_runs_at_other_multiples_of_32_as_Ultralytics_does(long height, long width)
    {
        Assert.False(YOLOv8n.FixedInputSize);
        Assert.True(YOLOv8n.AcceptsInputSize(height, width));
        using var scope = NewDisposeScope();
        using var model = new YOLOv8n();
        model.eval();
        manual_seed(32);
        var outputs = Zoo.Outputs(model, rand(1, 3, height, width));
        var anchors = (height / 8) * (width / 8) + (height / 16) * (width / 16) + (height / 32) * (width / 32);
        Assert.Equal([[1, 144, height / 8, width / 8], [1, 144, height / 16, width / 16], [1, 144, height / 32, width / 32], [1, 4, anchors]],
            outputs.Select(o => o.shape).ToArray());
    }

    [Fact]
    public void A_size_at_which_the_necks_maps_disagree_is_rejected_naming_the_join_and_the_nearest_sizes_that_work()
    {
        // With 3x3 stride-2 convolutions (ceil(H / 2)), the upsampled P5 meets P4 and the upsampled P4 meets P3 exactly
        // when ceil(H / 8) and ceil(H / 16) are even: H mod 32 is 0 or 25 to 31. The smallest is 25.
        var valid = Enumerable.Range(1, 160).Where(h => (h + 7) / 8 % 2 == 0 && (h + 15) / 16 % 2 == 0).Select(h => (long)h).ToArray();
        Assert.Equal(valid, Enumerable.Range(1, 160).Select(h => (long)h).Where(h => YOLOv8n.AcceptsInputSize(h, h)));
        Assert.Equal(new long[] { 3, 25, 25 }, YOLOv8n.MinimumInputShape);
        Assert.True(YOLOv8n.AcceptsInputSize(608, 640));
        Assert.False(YOLOv8n.AcceptsInputSize(640, 600));

        using var scope = NewDisposeScope();
        using var model = new YOLOv8n();
        model.eval();
        // At 100 the stride-32 map is 4 pixels, upsampled 8, but the stride-16 map is 7.
        var error = Assert.Throws<ArgumentException>(() => model.forward(rand(1, 3, 100, 100)));
        Assert.True(error.Message.Contains("YOLOv8n cannot take an input of height 100 and width 100"), error.Message);
        Assert.True(error.Message.Contains("at the height 100 the join 'model.11' (yolov8n.cnn.yaml("), error.Message);
        Assert.True(error.Message.Contains("would get maps 8 and 7 high; use a height such as 96 or 121 (the heights that work repeat every 32)"), error.Message);
        Assert.True(error.Message.Contains("use a width such as 96 or 121"), error.Message);
        // Only the width wrong: only the width named.
        var width = Assert.Throws<ArgumentException>(() => model.forward(rand(1, 3, 64, 80)));
        Assert.False(width.Message.Contains("at the height"), width.Message);
        Assert.True(width.Message.Contains("at the width 80"), width.Message);
        Assert.True(width.Message.Contains("use a width such as 64 or 89"), width.Message);
        // The smallest size works.
        var outputs = Zoo.Outputs(model, rand(1, 3, 25, 25));
        Assert.Equal([1, 4, 16 + 4 + 1], outputs[3].shape);
    }
}
