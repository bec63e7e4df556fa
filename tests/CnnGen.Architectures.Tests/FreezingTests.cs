using CnnGen.Runtime;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>A frozen backbone trains nothing but the head: parameters and batch-norm statistics stay as they were.</summary>
public class FreezingTests
{
    private static Dictionary<string, Tensor> Snapshot(nn.Module module) =>
        module.state_dict().ToDictionary(pair => pair.Key, pair => pair.Value.detach().clone());

    [Fact]
    public void After_an_optimizer_step_on_a_frozen_backbone_only_the_head_has_moved()
    {
        using var model = new ResNet18(numClasses: 10);
        var frozen = model.Freeze();
        Assert.Equal(model.named_parameters().Count() - 2, frozen.Count);
        Assert.DoesNotContain(frozen, name => name.StartsWith("fc.", StringComparison.Ordinal));

        model.train();
        var norms = model.modules().OfType<BatchNorm2d>().ToList();
        Assert.NotEmpty(norms);
        Assert.All(norms, norm => Assert.False(norm.training));
        Assert.True(model.training);

        using var scope = NewDisposeScope();
        var before = Snapshot(model);
        using var optimizer = optim.SGD(model.parameters().Where(p => p.requires_grad), 0.1);
        for (var step = 0; step < 2; step++)
        {
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.forward(randn(4, 3, 64, 64)), randint(0, 10, 4)).backward();
            optimizer.step();
        }
        foreach (var (key, value) in model.state_dict())
        {
            var unchanged = value.eq(before[key]).all().item<bool>();
            if (key.StartsWith("fc.", StringComparison.Ordinal)) Assert.False(unchanged, $"{key} did not move");
            else Assert.True(unchanged, $"{key} changed although it is frozen");
        }

        model.Unfreeze();
        Assert.All(model.parameters(), p => Assert.True(p.requires_grad));
        Assert.All(norms, norm => Assert.True(norm.training));
    }

    [Fact]
    public void Freezing_up_to_a_named_module_leaves_the_rest_trainable()
    {
        using var model = new ResNet18(numClasses: 10);
        var frozen = model.Freeze(upTo: "layer2");
        Assert.Contains("conv1.weight", frozen);
        Assert.Contains("layer2.1.bn2.bias", frozen);
        Assert.DoesNotContain(frozen, name => name.StartsWith("layer3.", StringComparison.Ordinal));
        Assert.True(model.named_parameters().Single(p => p.name == "layer3.0.conv1.weight").parameter.requires_grad);
        model.train();
        var stage = (ModuleGroup)model.named_modules().Single(m => m.name == "layer3").module;
        Assert.All(stage.modules().OfType<BatchNorm2d>(), norm => Assert.True(norm.training));
        Assert.All(model.named_modules().Where(m => m.name.StartsWith("layer2.", StringComparison.Ordinal)).Select(m => m.module).OfType<BatchNorm2d>(),
            norm => Assert.False(norm.training));

        var error = Assert.Throws<ArgumentException>(() => model.Freeze(upTo: "layer9"));
        Assert.Contains("conv1, bn1, layer1", error.Message);
    }
}
