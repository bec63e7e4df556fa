// CnnGen's benchmarks (BenchmarkDotNet). Examples:
//   dotnet run -c Release --project tests/CnnGen.Benchmarks -- --filter '*ForwardBenchmarks*' --job short   (about 10 min)
//   dotnet run -c Release --project tests/CnnGen.Benchmarks -- --filter '*ForwardBenchmarks*'               (BenchmarkDotNet's default job: long)
//   dotnet run -c Release --project tests/CnnGen.Benchmarks -- --filter '*GeneratorBenchmarks*'
// The ratio column is each contender's time over the hand-written module's (lower is faster).
// samples/Performance prints the same comparison as throughput ratios, with PyTorch.
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Running;

// Always in process (BenchmarkDotNet's --inProcess): the TorchSharp natives this build patched
// (runtime/build) are the ones that load, and no second project has to be generated and built.
string[] arguments = args.Contains("--inProcess") ? args : [.. args, "--inProcess"];
var config = DefaultConfig.Instance
    .AddColumn(StatisticColumn.Median)
    .WithSummaryStyle(BenchmarkDotNet.Reports.SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend));
BenchmarkSwitcher.FromAssembly(typeof(CnnGen.Benchmarks.ForwardBenchmarks).Assembly).Run(arguments, config);
