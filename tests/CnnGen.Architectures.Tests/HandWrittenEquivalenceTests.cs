using CnnGen.Benchmarks.HandWritten;
using TorchSharp;
using TorchSharp.Modules;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// The benchmarks compare generated networks with hand-written TorchSharp modules (tests/CnnGen.Benchmarks/
/// HandWritten); the comparison is fair only if both compute the same function. Here the hand-written
/// module takes the generated one's weights by name (strictly: every key and shape) and must give the
/// same output, and so must the inference form.
/// </summary>
public class HandWrittenEquivalenceTests(ITestOutputHelper output)
{
    public static TheoryData<string> Names() => [.. Contenders.Names];

    [Theory]
    [MemberData(nameof(Names))]
    public void The_hand_written_module_and_the_inference_form_compute_what_the_generated_class_does(string name)
    {
        // No manual_seed: the generator is process-wide and other tests draw from it in parallel, so a seed here
        // would neither make this test repeatable nor leave theirs alone. Nothing below depends on the values.
        using var contenders = Contenders.Create(name, CalibrateBatchNorms);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = contenders.Input(2);

        var generated = contenders.Generated.forward(input);
        var handWritten = contenders.HandWritten!.forward(input);
        var inference = contenders.Inference.forward(input);

        var largest = generated.abs().max().item<float>();
        var handError = (handWritten - generated).abs().max().item<float>();
        var inferenceError = (inference - generated).abs().max().item<float>();
        output.WriteLine($"{name}: max |generated| {largest:G4}, hand-written differs by {handError:G3}, inference form by {inferenceError:G3}");
        // A network whose output had collapsed to its bias would agree with anything: make sure it varies.
        Assert.True(generated.std().item<float>() > 1e-3 * largest, $"{name}'s output barely varies; the comparison would prove little");
        Assert.True(handError <= 1e-5 * largest, $"{name}: the hand-written module differs by {handError} (largest output {largest})");
        Assert.True(inferenceError <= 1e-4 * largest, $"{name}: the inference form differs by {inferenceError} (largest output {largest})");
    }

    /// <summary>
    /// Running statistics from one training-mode pass (momentum 1) plus noise, so every batch norm
    /// matters and activations keep their scale through the depth (random statistics alone shrink them).
    /// </summary>
    private static void CalibrateBatchNorms(nn.Module<Tensor, Tensor> network, long[] sampleShape)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var norms = network.modules().OfType<BatchNorm2d>().ToList();
        foreach (var norm in norms) norm.momentum = 1.0;
        network.train();
        network.forward(randn([4, .. sampleShape]));
        network.eval();
        foreach (var norm in norms)
        {
            norm.momentum = 0.1;
            norm.running_mean!.add_(randn_like(norm.running_mean) * 0.2 * norm.running_var!.sqrt());
            norm.running_var.mul_(rand_like(norm.running_var) * 0.6 + 0.7);
            norm.weight!.copy_(rand_like(norm.weight) + 0.5);
            norm.bias!.copy_(randn_like(norm.bias) * 0.1);
        }
    }
}
