using CnnGen.Runtime.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>The eval-mode output of a loaded network against a reference io.safetensors ("input", "output") within 1e-4 of max |output|.</summary>
internal static class EvalOutput
{
    public static void AssertMatches(ITestOutputHelper output, string what, nn.Module<Tensor, Tensor> model, string ioPath)
    {
        using var io = SafetensorsFile.Open(ioPath);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var expected = io.ReadTensor("output");
        var difference = (model.forward(io.ReadTensor("input")) - expected).abs().max().item<float>();
        var magnitude = expected.abs().max().item<float>();
        output.WriteLine($"{what}: max |difference| {difference:E2}, max |output| {magnitude:G4}, ratio {difference / magnitude:E2}");
        Assert.True(difference <= 1e-4 * magnitude, $"{what}: max |difference| {difference:E3} exceeds 1e-4 x {magnitude:G4}");
    }
}
