using System.Runtime.CompilerServices;
using System.Text;

namespace CnnGen.Generator.Tests;

/// <summary>
/// Snapshot assertions with Verify's conventions (Verify is not served here): the approved text is
/// committed as <c>Snapshots/Name.verified.cs</c>; on a mismatch the new text is written beside it as
/// <c>Name.received.cs</c> and the test fails with a readable diff; setting the environment variable
/// <c>VERIFY_AUTOVERIFY=1</c> (opt-in) accepts the received text. Swapping in Verify.SourceGenerators
/// later is a mechanical change: same file names, same workflow.
/// </summary>
internal static class Snapshot
{
    public static void Verify(string received, string name, string extension = "cs", [CallerFilePath] string caller = "")
    {
        var folder = Path.Combine(Path.GetDirectoryName(caller)!, "Snapshots");
        Directory.CreateDirectory(folder);
        var verifiedPath = Path.Combine(folder, $"{name}.verified.{extension}");
        var receivedPath = Path.Combine(folder, $"{name}.received.{extension}");
        received = received.Replace("\r\n", "\n");
        var verified = File.Exists(verifiedPath) ? File.ReadAllText(verifiedPath).Replace("\r\n", "\n") : null;
        if (verified == received)
        {
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return;
        }
        if (Environment.GetEnvironmentVariable("VERIFY_AUTOVERIFY") == "1")
        {
            File.WriteAllText(verifiedPath, received);
            if (File.Exists(receivedPath)) File.Delete(receivedPath);
            return;
        }
        File.WriteAllText(receivedPath, received);
        var message = verified is null
            ? $"No snapshot yet: review {receivedPath} and rename it to {Path.GetFileName(verifiedPath)} (or run with VERIFY_AUTOVERIFY=1)."
            : $"Snapshot {Path.GetFileName(verifiedPath)} differs; received text written to {receivedPath}.\n{Diff(verified, received)}\nAccept with VERIFY_AUTOVERIFY=1 if the change is intended.";
        Assert.Fail(message);
    }

    /// <summary>A compact line diff: the first differing region with three lines of context.</summary>
    internal static string Diff(string expected, string actual)
    {
        var a = expected.Split('\n');
        var b = actual.Split('\n');
        var first = 0;
        while (first < a.Length && first < b.Length && a[first] == b[first]) first++;
        int endA = a.Length - 1, endB = b.Length - 1;
        while (endA >= first && endB >= first && a[endA] == b[endB]) { endA--; endB--; }
        var builder = new StringBuilder();
        builder.AppendLine($"@@ line {first + 1} @@");
        for (var i = Math.Max(0, first - 3); i < first; i++) builder.AppendLine("  " + a[i]);
        for (var i = first; i <= endA && i < first + 40; i++) builder.AppendLine("- " + a[i]);
        for (var i = first; i <= endB && i < first + 40; i++) builder.AppendLine("+ " + b[i]);
        for (var i = endA + 1; i < Math.Min(a.Length, endA + 4); i++) builder.AppendLine("  " + a[i]);
        return builder.ToString();
    }
}
