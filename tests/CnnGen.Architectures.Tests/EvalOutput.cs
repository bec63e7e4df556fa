using CnnGen.Runtime.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>The eval-mode output of a loaded network against a reference io.safetensors ("input", "output") within 1e-4 of max |output|.</summary>
internal static class EvalOutput
{
    /// <param name="referenceOutputs">Where the file keeps each output, in the order the network returns them ("output" for one).</param>
    public static void AssertMatches(ITestOutputHelper output, string what, nn.Module model, string ioPath, IReadOnlyList<string>? referenceOutputs = null)
    {
        using var io = SafetensorsFile.Open(ioPath);
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var names = referenceOutputs ?? ["output"];
        var actual = Zoo.Outputs(model, io.ReadTensor("input"));
        Assert.Equal(names.Count, actual.Count);
        for (var i = 0; i < names.Count; i++)
        {
            var expected = io.ReadTensor(names[i]);
            var difference = (actual[i] - expected).abs().max().item<float>();
            var magnitude = expected.abs().max().item<float>();
            var label = names.Count == 1 ? what : $"{what} {names[i]}";
            output.WriteLine($"{label}: max |difference| {difference:E2}, max |output| {magnitude:G4}, ratio {difference / magnitude:E2}");
            Assert.True(difference <= 1e-4 * magnitude, $"{label}: max |difference| {difference:E3} exceeds 1e-4 x {magnitude:G4}");
        }
    }
}
