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

    public static TheoryData<string, string> Cases() => new()
    {
        { "empty", "" },
        { "binary", "\0\u0001\u0002\u00ff\uFFFD{{[[::\u0007" },
        { "not a mapping", "- 1\n- 2\n" },
        { "duplicate keys", "name: A\nname: B\ninput: [3, 8, 8]\nlayers:\n  a: relu\n  a: relu\n" },
        { "alias bomb", AliasBomb() },
        { "recursive blocks", "name: R\ninput: [3, 8, 8]\nblocks:\n  a: [b]\n  b: [c]\n  c: [a]\nlayers:\n  x: a\n" },
        { "nesting 10,000 deep", "name: D\ninput: [3, 8, 8]\nlayers: " + new string('[', 10_000) + new string(']', 10_000) + "\n" },
        { "nesting 10,000 deep (block style)", DeepBlockStyle() },
        { "repetition int.MaxValue", "name: M\ninput: [3, 8, 8]\nlayers:\n  l: 2147483647x relu\n" },
        { "repetition of a block 100,000 x 100,000", "name: M\ninput: [3, 8, 8]\nblocks:\n  b: [100000x relu]\nlayers:\n  l: 100000x b\n" },
        { "parameter total beyond 64 bits", "name: O\ninput: [3, 8, 8]\nlayers:\n  a: conv(2000000000, k=1)\n  b: conv(2000000000, k=1)\n  c: conv(2000000000, k=1)\n" },
        { "5 MB file", FiveMegabytes() },
        { "huge number", "name: N\ninput: [3, 8, 8]\nlayers:\n  c: conv(99999999999999999999999, k=3)\n" },
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
    public void Ends_quickly_with_located_diagnostics(string name, string yaml)
    {
        var allocated = GC.GetAllocatedBytesForCurrentThread();
        var cpu = ThreadCpuTime();
        var clock = Stopwatch.StartNew();
        var result = CompileNetwork.Run($"/src/{name.Replace(' ', '_')}.cnn.yaml", yaml, "Hostile");
        clock.Stop();
        cpu = ThreadCpuTime() - cpu;
        allocated = GC.GetAllocatedBytesForCurrentThread() - allocated;
        Assert.True(cpu < Limit, $"{name}: {cpu.TotalMilliseconds:F0} ms of CPU time");
        Assert.True(clock.Elapsed < HangLimit, $"{name}: {clock.Elapsed.TotalMilliseconds:F0} ms");
        Assert.True(allocated < MemoryLimit, $"{name}: allocated {allocated / 1e6:F0} MB");
        Assert.DoesNotContain(result.Problems, p => p.Id == "CNN0017");
        if (name == "5 MB file")
        {
            // A big but valid file is just a big network.
            Assert.False(result.HasErrors, string.Join("\n", result.Problems.Take(3)));
            return;
        }
        Assert.True(result.HasErrors, $"{name}: no error reported");
        Assert.Empty(result.Networks);
        var lines = yaml.Split('\n').Length;
        Assert.All(result.Problems, p => Assert.InRange(p.Span.StartLine, 0, lines));
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
