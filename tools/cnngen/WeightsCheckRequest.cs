namespace CnnGen.Tool;

/// <summary>
/// What <c>cnngen weights check</c> was asked: the network file and class, the model arguments to set, the
/// weight file, and the <see cref="CnnGen.Runtime.Weights.WeightsOptions"/> to check under.
/// </summary>
public sealed record WeightsCheckRequest(
    string NetworkPath, string WeightsPath, string? ClassName, IReadOnlyDictionary<string, string> Arguments,
    bool NewHead, bool KeepAux, bool AdaptStem)
{
    public const string Usage =
        "cnngen weights check <net.cnn.yaml> <weights file> [--class Name] [--arg name=value]... [--new-head] [--keep-aux] [--adapt-stem]";

    /// <summary>Reads the words after <c>weights check</c>; null with <paramref name="problem"/> set for a malformed command line.</summary>
    public static WeightsCheckRequest? Parse(IReadOnlyList<string> words, out string? problem)
    {
        var positional = new List<string>();
        var arguments = new Dictionary<string, string>(StringComparer.Ordinal);
        string? className = null;
        bool newHead = false, keepAux = false, adaptStem = false;
        problem = null;
        for (var i = 0; i < words.Count; i++)
        {
            var word = words[i];
            switch (word)
            {
                case "--new-head": newHead = true; break;
                case "--keep-aux": keepAux = true; break;
                case "--adapt-stem": adaptStem = true; break;
                case "--class" when i + 1 < words.Count: className = words[++i]; break;
                case "--arg" when i + 1 < words.Count:
                    var setting = words[++i];
                    var equals = setting.IndexOf('=');
                    if (equals < 1 || equals == setting.Length - 1)
                    {
                        problem = $"--arg takes name=value (e.g. --arg num_classes=10), not '{setting}'";
                        return null;
                    }
                    arguments[setting[..equals]] = setting[(equals + 1)..];
                    break;
                default:
                    if (word.StartsWith("--", StringComparison.Ordinal))
                    {
                        problem = i + 1 == words.Count && word is "--class" or "--arg" ? $"{word} needs a value" : $"unknown option '{word}'";
                        return null;
                    }
                    positional.Add(word);
                    break;
            }
        }
        if (positional.Count != 2)
        {
            problem = $"expected a network file and a weights file, got {positional.Count} file name(s)";
            return null;
        }
        return new WeightsCheckRequest(positional[0], positional[1], className, arguments, newHead, keepAux, adaptStem);
    }
}
