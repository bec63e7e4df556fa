using CnnGen.Runtime;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// A generated network in eval mode serves concurrent callers (a web service's threads sharing one model):
/// 8 callers, every result identical to the same input's serial result. The forward keeps no state between
/// calls: its buffers (DenseNet's concatenation) are locals, and in-place steps only touch its own tensors.
/// </summary>
public class ConcurrencyTests
{
    [Theory]
    [InlineData("ResNet18", 1000, false)]
    [InlineData("ResNet18", 200, true)]
    [InlineData("DenseNet121", 200, false)]
    [InlineData("EfficientNetB0", 200, true)]
    public void Eight_concurrent_callers_get_the_serial_results(string name, int requests, bool inferenceForm)
    {
        var info = Zoo.Get(name);
        using var model = info.Create();
        model.eval();
        if (inferenceForm) ((IGeneratedNetwork)model).ConvertToInference();
        var generator = new TorchSharp.torch.Generator(20261202);
        var inputs = Enumerable.Range(0, 16).Select(_ => randn(new long[] { 1, info.InputShape[0], 64, 64 }, generator: generator)).ToArray();
        Tensor[] serial;
        using (no_grad())
            serial = inputs.Select(input => model.forward(input)).ToArray();

        var mismatches = 0;
        var errors = new System.Collections.Concurrent.ConcurrentBag<Exception>();
        Parallel.For(0, requests, new ParallelOptions { MaxDegreeOfParallelism = 8 }, request =>
        {
            try
            {
                using var noGrad = no_grad();
                using var output = model.forward(inputs[request % inputs.Length]);
                if (!output.equal(serial[request % inputs.Length]).all().item<bool>()) Interlocked.Increment(ref mismatches);
            }
            catch (Exception e)
            {
                errors.Add(e);
            }
        });

        Assert.Empty(errors);
        Assert.Equal(0, mismatches);
        foreach (var tensor in inputs.Concat(serial)) tensor.Dispose();
    }
}
