using System.IO;

namespace CnnGen.Runtime.Weights.Checkpoints;

/// <summary>
/// A PyTorch checkpoint that is not a well-formed, state-dict-only <c>torch.save</c> file: a global the
/// restricted unpickler does not allow (<c>os.system</c>, any class), a malformed or truncated pickle or
/// zip entry, a compressed tensor entry, a storage larger than the file, a tensor view outside its
/// storage. Raised before any tensor is copied, so the module is untouched.
/// </summary>
/// <remarks>
/// Derives from <see cref="IOException"/> like <see cref="SafetensorsFormatException"/>: a bad file is an
/// I/O failure to callers that only catch those.
/// </remarks>
public sealed class CheckpointFormatException : IOException
{
    public CheckpointFormatException(string path, string problem, string? where = null, System.Exception? inner = null)
        : base(where is null ? $"Invalid PyTorch checkpoint '{path}': {problem}" : $"Invalid PyTorch checkpoint '{path}', {where}: {problem}", inner)
    {
        Path = path;
        Problem = problem;
        Where = where;
    }

    /// <summary>The file that was being read.</summary>
    public string Path { get; }

    /// <summary>What is wrong, without the file name and place.</summary>
    public string Problem { get; }

    /// <summary>Where in the file: a zip entry, a pickle offset, a tensor name; null when the whole file is at fault.</summary>
    public string? Where { get; }
}
