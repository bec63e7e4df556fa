using System;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// A well-formed weight file (safetensors or PyTorch checkpoint) that does not fit the module under a
/// strict load: missing, unexpected, wrong-shaped or unconvertible tensors, all reported at once. The
/// module has not been modified when this is thrown. <see cref="SafetensorsLoadException"/> is the
/// safetensors case; catch this type to handle every format.
/// </summary>
public class WeightsLoadException : Exception
{
    public WeightsLoadException(string path, LoadReport report)
        : base($"Weights in '{path}' do not match the module: {report.DescribeProblems()}")
    {
        Path = path;
        Report = report;
    }

    /// <summary>The file that was being loaded.</summary>
    public string Path { get; }

    /// <summary>Every problem found; <see cref="LoadReport.LoadedCount"/> is 0 since nothing was copied.</summary>
    public LoadReport Report { get; }
}
