namespace CnnGen.Samples.Distributed;

/// <summary>
/// A process and its descendants as Linux's /proc shows them (pid, state, command line), for the message of a launch
/// that timed out. Elsewhere, or when /proc cannot be read, it says so instead.
/// </summary>
public static class ProcessTree
{
    public static string Describe(int root)
    {
        try
        {
            var parents = new Dictionary<int, int>();
            var states = new Dictionary<int, string>();
            foreach (var folder in Directory.EnumerateDirectories("/proc"))
            {
                if (!int.TryParse(Path.GetFileName(folder), out var pid)) continue;
                try
                {
                    // /proc/<pid>/stat: "pid (comm) state ppid ..."; comm may hold spaces and parentheses, so read after the last ')'.
                    var stat = File.ReadAllText(Path.Combine(folder, "stat"));
                    var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                    states[pid] = fields[0];
                    parents[pid] = int.Parse(fields[1], System.Globalization.CultureInfo.InvariantCulture);
                }
                catch (IOException) { } // the process ended while we looked
                catch (UnauthorizedAccessException) { }
            }
            var lines = new List<string>();
            void Add(int pid, int depth)
            {
                lines.Add($"{new string(' ', 2 * depth + 2)}pid {pid} state {states.GetValueOrDefault(pid, "?")}: {CommandLine(pid)}");
                foreach (var child in parents.Where(entry => entry.Value == pid).Select(entry => entry.Key).Order())
                    Add(child, depth + 1);
            }
            Add(root, 0);
            return string.Join('\n', lines);
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException or DirectoryNotFoundException)
        {
            return $"  (cannot list the processes: {exception.Message})";
        }
    }

    private static string CommandLine(int pid)
    {
        try
        {
            var text = File.ReadAllText($"/proc/{pid}/cmdline").Replace('\0', ' ').Trim();
            return text.Length > 200 ? text[..200] + " ..." : text;
        }
        catch (IOException) { return "?"; }
        catch (UnauthorizedAccessException) { return "?"; }
    }
}
