using System.Diagnostics;
using System.Text;

namespace CnnGen.Generator.Tests;

/// <summary>
/// Inputs meant to break a generator: each must end, within two seconds and bounded memory, with
/// located diagnostics and never an exception (a hang or a crash would stop the user's compiler).
/// The two seconds are this thread's CPU time, which other tests running in parallel on the shared
/// machine do not inflate; wall time only has a generous bound that catches a hang.
/// </summary>
public class HostileInputTests
{
    private static readonly TimeSpan Limit = TimeSpan.FromSeconds(2);
    private static readonly TimeSpan HangLimit = TimeSpan.FromSeconds(30);

    /// <summary>CPU time of the calling thread (utime + stime of /proc/thread-self/stat, in 1/100 s).</summary>
    private static TimeSpan ThreadCpuTime()
    {
        var stat = File.ReadAllText("/proc/thread-self/stat");
        var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
        return TimeSpan.FromMilliseconds((long.Parse(fields[11]) + long.Parse(fields[12])) * 10);
    }
    private const long MemoryLimit = 512L * 1024 * 1024;

    /// <summary>Each case with the diagnostic it must give first and where (1-based line and column, as the compiler prints).</summary>
    public static TheoryData<string, string, string, int, int> Cases() => new()
    {
        { "empty", "", "CNN0002", 1, 1 },
        { "binary", "\0\u0001\u0002\u00ff\uFFFD{{[[::\u0007", "CNN0002", 1, 2 },
        { "not a mapping", "- 1\n- 2\n", "CNN0002", 1, 1 },
        { "duplicate keys", "name: A\nname: B\ninput: [3, 8, 8]\nlayers:\n  a: relu\n  a: relu\n", "CNN0014", 2, 1 },
        { "alias bomb", AliasBomb(), "CNN0016", 3, 5 },
        { "recursive blocks", "name: R\ninput: [3, 8, 8]\nblocks:\n  a: [b]\n  b: [c]\n  c: [a]\nlayers:\n  x: a\n", "CNN0013", 6, 7 },
        { "nesting 10,000 deep", "name: D\ninput: [3, 8, 8]\nlayers: " + new string('[', 10_000) + new string(']', 10_000) + "\n", "CNN0016", 3, 108 },
        { "nesting 10,000 deep (block style)", DeepBlockStyle(), "CNN0016", 103, 100 },
        { "repetition int.MaxValue", "name: M\ninput: [3, 8, 8]\nlayers:\n  l: 2147483647x relu\n", "CNN0016", 4, 6 },
        { "repetition of a block 100,000 x 100,000", "name: M\ninput: [3, 8, 8]\nblocks:\n  b: [100000x relu]\nlayers:\n  l: 100000x b\n", "CNN0016", 4, 7 },
        { "parameter total beyond 64 bits", "name: O\ninput: [3, 8, 8]\nlayers:\n  a: conv(2000000000, k=1)\n  b: conv(2000000000, k=1)\n  c: conv(2000000000, k=1)\n", "CNN0007", 5, 6 },
        { "5 MB file", FiveMegabytes(), "", 0, 0 },
        { "huge number", "name: N\ninput: [3, 8, 8]\nlayers:\n  c: conv(99999999999999999999999, k=3)\n", "CNN0012", 4, 11 },
    };

    private static string AliasBomb()
    {
        var builder = new StringBuilder("name: Bomb\ninput: [3, 8, 8]\na0: &a0 [relu, relu]\n");
        for (var i = 1; i < 30; i++) builder.Append($"a{i}: &a{i} [*a{i - 1}, *a{i - 1}]\n");
        return builder.Append("layers: *a29\n").ToString();
    }

    private static string DeepBlockStyle()
    {
        var builder = new StringBuilder("name: D\ninput: [3, 8, 8]\nlayers:\n");
        for (var i = 0; i < 10_000; i++) builder.Append(' ', i % 2000).Append("- \n");
        return builder.ToString();
    }

    private static string FiveMegabytes()
    {
        var builder = new StringBuilder("name: Big\ninput: [3, 8, 8]\nlayers:\n");
        var i = 0;
        // 5 MB of YAML: 25,000 layers, each with a long comment, as a generated file might have.
        var comment = new string('x', 180);
        while (builder.Length < 5 * 1024 * 1024) builder.Append($"  layer_{i++}: relu   # {comment}\n");
        return builder.ToString();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void Ends_quickly_with_located_diagnostics(string name, string yaml, string id, int line, int column)
    {
        // The analysis runs on a task of its own under a cancellation, so a hang fails this test (the wait
        // gives up) instead of hanging the run; the CPU time is that task's thread's, after a warm-up that
        // takes the JIT's share out.
        CompileNetwork.Run("/src/warm.cnn.yaml", "name: W\ninput: [3, 8, 8]\nlayers:\n  c: conv(4, k=3)\n  r: 2x relu\n", "Warm");
        using var cancellation = new CancellationTokenSource(HangLimit);
        var run = Task.Run(() =>
        {
            var allocated = GC.GetAllocatedBytesForCurrentThread();
            var cpu = ThreadCpuTime();
            var result = CompileNetwork.Run($"/src/{name.Replace(' ', '_')}.cnn.yaml", yaml, "Hostile", cancellation.Token);
            return (result, ThreadCpuTime() - cpu, GC.GetAllocatedBytesForCurrentThread() - allocated);
        });
        Assert.True(run.Wait(HangLimit + TimeSpan.FromSeconds(5)), $"{name}: still running after {HangLimit.TotalSeconds:F0} s");
        var (result, cpu, allocated) = run.Result;
        Assert.True(cpu < Limit, $"{name}: {cpu.TotalMilliseconds:F0} ms of CPU time");
        Assert.True(allocated < MemoryLimit, $"{name}: allocated {allocated / 1e6:F0} MB");
        Assert.DoesNotContain(result.Problems, p => p.Id == "CNN0017");
        if (id.Length == 0)
        {
            // A big but valid file is just a big network.
            Assert.False(result.HasErrors, string.Join("\n", result.Problems.Take(3)));
            return;
        }
        Assert.Empty(result.Networks);
        var first = result.Problems.FirstOrDefault(p => p.Severity == Diagnostics.ProblemSeverity.Error);
        Assert.True(first is not null, $"{name}: no error reported");
        Assert.Equal((id, line, column), (first!.Id, first.Span.StartLine + 1, first.Span.StartColumn + 1));
        // Every other diagnostic has a place inside the file too (not SourceSpan.None's line 0 by default).
        var lines = yaml.Split('\n').Length;
        Assert.All(result.Problems, p => Assert.True(p.Span.StartLine < lines && p.Span.End <= yaml.Length && p.Span.Start <= p.Span.End && (p.Span.End > 0 || yaml.Length == 0),
            $"{name}: {p.Id} at {p.Span}"));
    }

    [Fact]
    public void Cancellation_stops_a_long_analysis()
    {
        using var cancellation = new CancellationTokenSource();
        cancellation.Cancel();
        var yaml = "name: Long\ninput: [3, 8, 8]\nlayers:\n  l: 90000x relu\n";
        Assert.ThrowsAny<OperationCanceledException>(() => CompileNetwork.Run("/src/long.cnn.yaml", yaml, "Ns", cancellation.Token));
    }
}
