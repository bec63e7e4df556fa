namespace CnnGen.Runtime.Weights;

/// <summary>
/// A well-formed safetensors file that does not fit the module under a strict load: missing, unexpected,
/// wrong-shaped or unconvertible tensors, all reported at once so one run shows every problem.
/// The module has not been modified when this is thrown.
/// </summary>
public sealed class SafetensorsLoadException : WeightsLoadException
{
    public SafetensorsLoadException(string path, LoadReport report) : base(path, report) { }
}
