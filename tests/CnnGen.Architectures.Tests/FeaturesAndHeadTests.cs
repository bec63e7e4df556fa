using CnnGen.Runtime;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>ForwardFeatures is every step before the YAML's head, ForwardHead the rest: together they are forward.</summary>
public class FeaturesAndHeadTests
{
    public static TheoryData<string> Networks() => new()
    {
        "ResNet18", "Vgg16Bn", "DenseNet121", "GoogLeNetAux", "InceptionV3", "MobileNetV3Large", "EfficientNetB0", "ConvNeXtTiny",
        // Their heads are named since issue 27: NiN's last mlpconv stage and pool, LeNet-5 (1998)'s F6.
        "NiN", "LeNet5Paper",
    };

    [Theory]
    [MemberData(nameof(Networks))]
    public void The_head_on_the_features_is_the_forward(string name)
    {
        var info = Zoo.Get(name);
        using var model = info.Create();
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = randn(new[] { 2L }.Concat(info.InputShape).ToArray());
        var network = (dynamic)model;
        Tensor features = network.ForwardFeatures(input);
        Assert.Equal(2, features.shape[0]);
        Tensor logits = network.ForwardHead(features);
        Assert.True(logits.equal(model.forward(input)).all().item<bool>(), $"{name}: ForwardHead(ForwardFeatures(x)) differs from forward(x)");
        // The head neither frees (a freed tensor throws here) nor overwrites the features it was given.
        Assert.True(network.ForwardHead(features).equal(logits).all().item<bool>());

        // Each part frees what it makes: only its result is left.
        using (var inner = NewDisposeScope())
        {
            Tensor part = network.ForwardFeatures(input);
            var left = inner.DisposablesView.Count(d => !ReferenceEquals(d, part));
            Assert.True(left == 0, $"{name}'s ForwardFeatures left {left} tensors besides its result");
        }

        ((IGeneratedNetwork)model).ConvertToInference();
        Tensor inference = network.ForwardHead(network.ForwardFeatures(input));
        Assert.True((inference - logits).abs().max().item<float>() <= 1e-4 * logits.abs().max().item<float>(), $"{name}: the inference form's parts differ");
    }
}
