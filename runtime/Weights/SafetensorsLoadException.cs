using System;

namespace CnnGen.Runtime.Weights;

/// <summary>
/// A well-formed file that does not fit the module under a strict load: missing, unexpected,
/// wrong-shaped or unconvertible tensors, all reported at once so one run shows every problem.
/// The module has not been modified when this is thrown.
/// </summary>
public sealed class SafetensorsLoadException : Exception
{
    public SafetensorsLoadException(string path, LoadReport report)
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
