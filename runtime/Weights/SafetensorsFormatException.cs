using System.IO;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// A file that is not a well-formed safetensors file: bad length prefix, bad JSON, offsets that do not
/// tile the data section, a truncated file and so on. Raised before any tensor data is read, so a
/// hostile or damaged file never reaches a module.
/// </summary>
/// <remarks>
/// Derives from <see cref="IOException"/> (a bad file is an I/O failure to callers that only catch
/// those); the dedicated type lets them tell a malformed weight file from a missing or unreadable one.
/// </remarks>
public sealed class SafetensorsFormatException : IOException
{
    public SafetensorsFormatException(string path, string problem, string? tensorName = null, System.Exception? inner = null)
        : base(Compose(path, problem, tensorName), inner)
    {
        Path = path;
        Problem = problem;
        TensorName = tensorName;
    }

    /// <summary>The file that was being read.</summary>
    public string Path { get; }

    /// <summary>What is wrong, without the file and tensor names.</summary>
    public string Problem { get; }

    /// <summary>The tensor whose header entry is at fault, when one is.</summary>
    public string? TensorName { get; }

    private static string Compose(string path, string problem, string? tensorName) =>
        tensorName is null
            ? $"Invalid safetensors file '{path}': {problem}"
            : $"Invalid safetensors file '{path}', tensor '{tensorName}': {problem}";
}
