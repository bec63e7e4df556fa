using CnnGen.Architectures;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// For every generated network: the parameters TorchSharp counts equal the generator's compile-time
/// constant and the published number, and a forward pass gives the inferred output shape.
/// </summary>
public class ZooTests
{
    [Fact]
    public void Every_network_of_the_zoo_is_listed_and_known_to_the_tests()
    {
        Assert.Equal(Zoo.TorchvisionKey.Keys.Order(StringComparer.Ordinal), NetworkCatalog.All.Select(n => n.Name).Order(StringComparer.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Zoo.Names), MemberType = typeof(Zoo))]
    public void TorchSharp_parameter_count_equals_compile_time_constant_and_published_number(string name)
    {
        var info = Zoo.Get(name);
        using var model = info.CreateModule();
        var counted = model.parameters().Sum(p => p.numel());
        Assert.Equal(info.ParameterCount, counted);
        if (info.PublishedParameterCount is { } published) Assert.Equal(published, counted);
        else Assert.Equal("FcnResNet18", name);
        Assert.Equal(info.ParameterCount, info.Layers.Sum(layer => layer.Parameters));
    }

    [Theory]
    [MemberData(nameof(Zoo.Names), MemberType = typeof(Zoo))]
    public void Forward_pass_gives_the_inferred_output_shape(string name)
    {
        var info = Zoo.Get(name);
        using var model = info.CreateModule();
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = randn(new[] { 2L }.Concat(info.InputShape).ToArray());
        var outputs = Zoo.Outputs(model, input);
        Assert.Equal(Zoo.OutputShapes(info).Select(shape => new[] { 2L }.Concat(shape).ToArray()), outputs.Select(output => output.shape));
        Assert.All(outputs, output => Assert.True(output.isfinite().all().item<bool>()));
    }

    [Theory]
    [MemberData(nameof(Zoo.Names), MemberType = typeof(Zoo))]
    public void An_eval_forward_leaves_no_tensor_behind(string name)
    {
        // The generated forward disposes every intermediate it creates, without the caller's dispose
        // scope; an in-place call that returns a new handle (TorchSharp's functional.relu6(x, inplace: true)
        // did) would leave one per layer for the finalizer.
        var info = Zoo.Get(name);
        using var model = info.CreateModule();
        model.eval();
        using var _ = no_grad();
        using var input = randn(new[] { 1L }.Concat(info.InputShape).ToArray());
        // A dispose scope sees every tensor created on this thread while it is open and forgets those
        // disposed (Tensor.TotalCount would also see other tests' tensors, which run in parallel).
        using var scope = NewDisposeScope();
        var outputs = Zoo.Outputs(model, input);
        var left = scope.DisposablesView.Where(d => !outputs.Any(output => ReferenceEquals(d, output))).ToList();
        Assert.True(left.Count == 0, $"{name}'s forward left {left.Count} tensors besides its output(s)");
    }

    [Fact]
    public void Training_forward_and_backward_work_with_in_place_operations()
    {
        // The generated forward runs ReLU and residual adds in place where autograd allows it;
        // a backward pass would throw if one of them overwrote a tensor autograd had saved.
        using var model = new ResNet18(numClasses: 10);
        model.train();
        using var scope = NewDisposeScope();
        var input = randn(2, 3, 64, 64);
        var loss = model.forward(input).square().sum();
        loss.backward();
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
        Assert.True(model.parameters().First().grad!.abs().sum().item<float>() > 0);
    }

    [Theory]
    [InlineData("EfficientNetB0")]
    [InlineData("MobileNetV3Large")]
    [InlineData("ShuffleNetV2")]
    [InlineData("RegNetY400MF")]
    [InlineData("ConvNeXtTiny")]
    public void Gates_scales_and_stochastic_depth_in_place_keep_the_backward_working(string name)
    {
        // Activations, stochastic depth and residual adds run in place after silu/hardswish/hardsigmoid, and a
        // gate or a layer scale overwrites x when autograd records nothing: libtorch checks every tensor it
        // saved, so an in-place step over one would make the backward throw. Training mode, stochastic depth on.
        var info = Zoo.Get(name);
        using var model = info.Create();
        model.train();
        using var scope = NewDisposeScope();
        var input = randn(new[] { 2L }.Concat(info.InputShape).ToArray());
        model.forward(input).square().sum().backward();
        var missing = model.named_parameters().Where(p => p.parameter.grad is null).Select(p => p.name).ToList();
        Assert.True(missing.Count == 0, $"no gradient for {string.Join(", ", missing.Take(5))}");
        Assert.All(model.parameters(), p => Assert.True(p.grad!.isfinite().all().item<bool>()));

        // Eval mode with autograd on (saliency maps): the gates must not overwrite what the backward needs.
        model.eval();
        model.zero_grad();
        var image = randn(new[] { 1L }.Concat(info.InputShape).ToArray()).requires_grad_();
        model.forward(image).max().backward();
        Assert.True(image.grad!.abs().sum().item<float>() > 0);
    }

    [Fact]
    public void Constructor_arguments_change_the_head()
    {
        using var model = new ResNet50(numClasses: 10);
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Assert.Equal(new long[] { 1, 10 }, model.forward(randn(1, 3, 224, 224)).shape);
        Assert.Equal(10, model.NumClasses);
        Assert.Equal(ResNet50.ParameterCount - 2048L * 990 - 990, model.parameters().Sum(p => p.numel()));
    }

    [Fact]
    public void A_wrong_input_is_rejected_with_the_expected_shape_named()
    {
        using var model = new LeNet5();
        using var scope = NewDisposeScope();
        var error = Assert.Throws<ArgumentException>(() => model.forward(randn(1, 3, 32, 32)));
        Assert.Contains("[N, 1, 32, 32]", error.Message);
        Assert.Contains("[1, 3, 32, 32]", error.Message);
    }

    [Fact]
    public void An_input_below_the_minimum_size_is_rejected_and_the_minimum_runs()
    {
        // torchvision documents 75x75 as Inception-v3's smallest input; the generator derives it.
        Assert.Equal(new long[] { 3, 75, 75 }, InceptionV3.MinimumInputShape);
        using var model = new InceptionV3();
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var error = Assert.Throws<ArgumentException>(() => model.forward(randn(1, 3, 74, 74)));
        Assert.Contains("[N, 3, H, W] with H >= 75 and W >= 75", error.Message);
        Assert.Equal(new long[] { 1, 1000 }, model.forward(randn(1, 3, 75, 75)).shape);
    }

    [Fact]
    public void Deep_supervision_output_appears_in_training_only_with_its_inferred_shape()
    {
        using var model = new FcnResNet18(numClasses: 5);
        using var scope = NewDisposeScope();
        var input = randn(2, 3, 96, 96);
        model.train();
        var training = model.ForwardWithAux(input);
        Assert.Equal(new long[] { 2, 5, 96, 96 }, training.Output.shape);
        Assert.Equal(new long[] { 2, 5, 96, 96 }, training.AuxClassifier!.shape);
        (training.Output.mean() + 0.4 * training.AuxClassifier.mean()).backward();
        model.eval();
        using var _ = no_grad();
        var eval = model.ForwardWithAux(input);
        Assert.Null(eval.AuxClassifier);
        Assert.Equal(new long[] { 2, 5, 96, 96 }, model.forward(input).shape);
        // Both heads resize to the input (upsample(to=input)), so a size that is no multiple of 32 comes back whole.
        Assert.Equal(new long[] { 1, 5, 100, 75 }, model.forward(randn(1, 3, 100, 75)).shape);
        model.train();
        Assert.Equal(new long[] { 2, 5, 100, 75 }, model.ForwardWithAux(randn(2, 3, 100, 75)).AuxClassifier!.shape);
    }

    [Fact]
    public void The_padded_UNet_takes_any_input_size_and_returns_it()
    {
        // Its decoder pads each 2x2 up-convolution to the skip's size (milesial's F.pad): 100 -> 50 -> 25 -> 12 -> 6 on
        // the way down, and 12 is padded to 25 on the way up. Without it, the concat of 24 and 25 rows failed.
        using var model = new UNetPadded();
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Assert.Equal(new long[] { 1, 2, 100, 75 }, model.forward(randn(1, 3, 100, 75)).shape);
        Assert.Equal(new long[] { 1, 2, 37, 16 }, model.forward(randn(1, 3, 37, 16)).shape);
        var error = Assert.Throws<ArgumentException>(() => model.forward(randn(1, 3, 15, 64)));
        Assert.Contains("H >= 16", error.Message);
    }

    [Fact]
    public void Aux_heads_run_in_training_only()
    {
        using var model = new InceptionV3Aux(numClasses: 7);
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var input = randn(2, 3, 299, 299);
        model.train();
        Assert.Equal(new long[] { 2, 7 }, model.ForwardWithAux(input).AuxLogits!.shape);
        model.eval();
        Assert.Null(model.ForwardWithAux(input).AuxLogits);
    }

    [Fact]
    public void The_layer_table_lists_every_layer_with_shapes()
    {
        var table = ResNet50.LayerTable;
        Assert.Equal("conv1", table[0].Path);
        Assert.Equal(new long[] { 64, 112, 112 }, table[0].OutputShape);
        Assert.Equal(9408, table[0].Parameters);
        Assert.Contains(table, layer => layer.Path == "layer4.0.downsample.0" && layer.OutputShape.SequenceEqual(new long[] { 2048, 7, 7 }));
        Assert.Equal("fc", table[^1].Path);
        var summary = ResNet50.Summary();
        Assert.Contains("Total parameters: 25,557,032", summary);
        Assert.Contains("layer3.5.conv2", summary);
    }

    [Theory]
    [MemberData(nameof(Zoo.Names), MemberType = typeof(Zoo))]
    public void The_layer_table_adds_up_to_the_compile_time_totals(string name)
    {
        // The table is read off the graph text the class carries (NetworkGraph.Parse): every row must
        // survive that, so its parameters and MACs sum to the class's constants.
        var network = Zoo.Get(name);
        Assert.NotEmpty(network.Layers);
        Assert.Equal(network.ParameterCount, network.Layers.Sum(layer => layer.Parameters));
        Assert.Equal(network.MultiplyAccumulates, network.Layers.Sum(layer => layer.Macs));
        Assert.All(network.Layers, layer => Assert.NotEmpty(layer.OutputShape));
        if (network.Outputs.Count == 0) Assert.Equal(network.OutputShape, network.Layers[^1].OutputShape);
        else
        {
            // An output made by a join (YOLOv8's cat(box, cls)) has no row: joins have no parameters and no layer of their
            // own; the graph the class carries has its node.
            var joins = ((CnnGen.Runtime.NetworkGraph)network.Type.GetProperty("Graph")!.GetValue(null)!).Nodes
                .Where(node => node.Op is "concat" or "add" or "mul").Select(node => node.Shape).ToList();
            Assert.All(Zoo.OutputShapes(network), shape => Assert.True(
                network.Layers.Any(layer => layer.OutputShape.SequenceEqual(shape)) || joins.Any(join => join.SequenceEqual(shape)),
                $"no layer and no join gives the output shape [{string.Join(", ", shape)}]"));
        }
    }

    [Fact]
    public void DenseNet_channels_follow_the_growth_rate_and_initial_features_given_at_run_time()
    {
        // The channel counts are constructor locals computed from the arguments (channels_k = channels_(k-1)
        // + growthRate): with growth 16 and 32 initial features, blocks of 6/12/24/16 layers end at
        // 32+96=128 -> 64+192=256 -> 128+384=512 -> 256+256=512 channels.
        using var model = new DenseNet121(numClasses: 10, growthRate: 16, numInitFeatures: 32);
        var norms = model.named_parameters().Where(p => p.name.StartsWith("features.norm5.")).ToList();
        Assert.Equal(new long[] { 512 }, norms.Single(p => p.name == "features.norm5.weight").parameter.shape);
        Assert.Equal(new long[] { 32 + 5 * 16 }, model.named_parameters().Single(p => p.name == "features.denseblock1.denselayer6.norm1.weight").parameter.shape);
        model.eval();
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        Assert.Equal(new long[] { 2, 10 }, model.forward(randn(2, 3, 64, 64)).shape);
    }

    [Fact]
    public void Dense_blocks_give_the_same_output_with_and_without_autograd_and_train_through_their_concatenations()
    {
        // Without autograd a dense block writes each feature map once into a block buffer (DenseConcat);
        // with it, it concatenates. Both must compute the same, and training must backpropagate.
        using var model = new DenseNet121(numClasses: 10, growthRate: 8, numInitFeatures: 16);
        model.eval();
        using var scope = NewDisposeScope();
        var input = randn(2, 3, 64, 64);
        Tensor buffered;
        using (no_grad()) buffered = model.forward(input);
        var concatenated = model.forward(input);
        Assert.True(buffered.allclose(concatenated.detach(), rtol: 0, atol: 0), "the buffered and concatenated forward passes differ");

        model.train();
        model.forward(input).square().sum().backward();
        Assert.All(model.parameters(), p => Assert.NotNull(p.grad));
        var firstLayer = model.named_parameters().Single(p => p.name == "features.denseblock1.denselayer1.conv1.weight").parameter;
        Assert.True(firstLayer.grad!.abs().sum().item<float>() > 0);
    }
}
