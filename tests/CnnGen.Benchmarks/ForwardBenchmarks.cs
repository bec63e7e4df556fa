using BenchmarkDotNet.Attributes;
using CnnGen.Benchmarks.HandWritten;
using static TorchSharp.torch;

namespace CnnGen.Benchmarks;

/// <summary>
/// One forward pass (eval, no_grad, 2 threads) of the hand-written module (the baseline), the generated
/// class and its inference form, with the same weights and input. Each call runs inside a DisposeScope,
/// as a TorchSharp user calls a hand-written module; the generated forward frees its own temporaries.
/// </summary>
[MemoryDiagnoser(displayGenColumns: false)]
public class ForwardBenchmarks
{
    private Contenders _contenders = null!;
    private Tensor _input = null!;

    [ParamsSource(nameof(Networks))]
    public string Network { get; set; } = "ResNet50";

    public static IEnumerable<string> Networks => Contenders.Names;

    [Params(1, 8)]
    public int Batch { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        set_num_threads(2);
        manual_seed(0);
        _contenders = Contenders.Create(Network);
        _input = _contenders.Input(Batch);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _input.Dispose();
        _contenders.Dispose();
    }

    [Benchmark(Baseline = true, Description = "hand-written")]
    public void HandWritten() => Run(_contenders.HandWritten!);

    [Benchmark(Description = "generated")]
    public void Generated() => Run(_contenders.Generated);

    [Benchmark(Description = "inference form")]
    public void Inference() => Run(_contenders.Inference);

    private void Run(nn.Module<Tensor, Tensor> network)
    {
        // Inside the call: libtorch's grad mode belongs to a thread, and setup may run on another.
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        network.forward(_input);
    }
}
