using CnnGen.Runtime;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// ResetClassifier(n) gives the network exactly what a new instance built for n classes has (names, shapes,
/// order) while every other tensor keeps its values, and leaves the new layers trainable on the old device and dtype.
/// </summary>
public class ResetClassifierTests
{
    /// <summary>Heads at the end (fc, output), inside a group (classifier.1), as a 1x1 conv (conv_preds), in the
    /// last mlpconv (NiN), behind derived widths (DenseNet), and aux heads (aux1.fc2, AuxLogits.fc).</summary>
    public static TheoryData<string, string> Networks() => new()
    {
        { "LeNet5", "output" },
        { "ResNet18", "fc" },
        { "EfficientNetB0", "classifier.1" },
        { "MobileNetV1", "conv_preds" },
        { "NiN", "stage3.4" },
        { "DenseNet121", "classifier" },
        { "GoogLeNetAux", "aux1.fc2, aux2.fc2, fc" },
        { "InceptionV3Aux", "AuxLogits.fc, fc" },
    };

    private static bool Under(string key, IEnumerable<string> paths) => paths.Any(path => key.StartsWith(path + ".", StringComparison.Ordinal));

    [Theory]
    [MemberData(nameof(Networks))]
    public void The_reset_network_is_a_new_class_count_network_with_the_old_backbone(string name, string replaced)
    {
        var info = Zoo.Get(name);
        var paths = replaced.Split(", ");
        using var model = info.Create();
        var before = model.state_dict().ToDictionary(pair => pair.Key, pair => pair.Value.clone());
        // Everything frozen (NiN names no head: by hand), so only the reset can make the new layers trainable.
        if (((IGeneratedNetwork)model).HeadPath is null)
            foreach (var parameter in model.parameters()) parameter.requires_grad = false;
        else
            Freezing.Freeze((dynamic)model);

        ((dynamic)model).ResetClassifier(7);

        Assert.Equal(7, (int)((dynamic)model).NumClasses);
        using var reference = Zoo.Create(info, "numClasses", 7);
        var expected = reference.state_dict();
        var actual = model.state_dict();
        Assert.Equal(expected.Keys, actual.Keys);
        foreach (var (key, tensor) in actual)
        {
            Assert.Equal(expected[key].shape, tensor.shape);
            if (Under(key, paths))
            {
                // Freshly initialised: another shape than the file's, and trainable though the backbone is frozen.
                Assert.NotEqual(before[key].shape, tensor.shape);
                if (tensor.is_floating_point() && key.EndsWith(".weight")) Assert.True(tensor.requires_grad, $"{key} is frozen");
            }
            else
            {
                Assert.True(before[key].equal(tensor).all().item<bool>(), $"{key} changed");
            }
        }
        Assert.Equal(paths, actual.Keys.Where(key => Under(key, paths)).Select(key => key[..key.LastIndexOf('.')]).Distinct().Order());

        model.eval();
        using var noGrad = no_grad();
        using var output = model.forward(randn(new[] { 2L }.Concat(info.InputShape).ToArray()));
        Assert.Equal(new[] { 2L, 7 }, output.shape);
        foreach (var tensor in before.Values) tensor.Dispose();
    }

    [Fact]
    public void The_new_head_takes_the_old_ones_dtype_and_mode_and_the_old_one_is_disposed()
    {
        using var model = new ResNet18();
        model.to(ScalarType.Float64);
        model.eval();
        var oldWeight = model.Fc.weight!;

        model.ResetClassifier(3);

        Assert.Equal(ScalarType.Float64, model.Fc.weight!.dtype);
        Assert.False(model.Fc.training);
        Assert.Equal(3, model.NumClasses);
        // An optimizer built over the old head would train a tensor the network no longer uses: it is gone.
        Assert.True(oldWeight.IsInvalid);
        using var noGrad = no_grad();
        using var output = model.forward(randn(1, 3, 64, 64, dtype: ScalarType.Float64));
        Assert.Equal(new[] { 1L, 3 }, output.shape);
    }

    [Fact]
    public void No_classes_and_the_inference_form_are_refused()
    {
        using var model = new ResNet18();
        Assert.Throws<ArgumentOutOfRangeException>(() => model.ResetClassifier(0));
        Assert.Equal(1000, model.NumClasses);
        model.ToInference();
        Assert.Throws<InvalidOperationException>(() => model.ResetClassifier(10));
        Assert.Equal(1000, model.NumClasses);
    }
}
