// CnnGen's benchmarks (BenchmarkDotNet). Examples:
//   dotnet run -c Release --project tests/CnnGen.Benchmarks -- --filter '*'                  all of them (about 40 min)
//   dotnet run -c Release --project tests/CnnGen.Benchmarks -- --filter '*Forward*' --job short
//   dotnet run -c Release --project tests/CnnGen.Benchmarks -- --filter '*Generator*'
// The ratio column is each contender's time over the hand-written module's (lower is faster).
// samples/Performance prints the same comparison as throughput ratios in a few minutes, with PyTorch.
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Jobs;
using BenchmarkDotNet.Running;
using BenchmarkDotNet.Toolchains.InProcess.Emit;

// In process: the TorchSharp natives this build patched (runtime/build) are the ones that load, and no
// second project has to be generated and built.
var config = DefaultConfig.Instance
    .AddJob(Job.Default.WithToolchain(InProcessEmitToolchain.Instance).AsDefault())
    .AddColumn(StatisticColumn.Median)
    .WithSummaryStyle(BenchmarkDotNet.Reports.SummaryStyle.Default.WithRatioStyle(RatioStyle.Trend));
BenchmarkSwitcher.FromAssembly(typeof(CnnGen.Benchmarks.ForwardBenchmarks).Assembly).Run(args, config);
