using CnnGen.Generator;
using CnnGen.Generator.Analysis;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// The zoo as the generator's pure pipeline analyses it (<see cref="CompileNetwork.Run(string, string, string, System.Threading.CancellationToken)"/>
/// on every architectures/*.cnn.yaml, model arguments at their defaults), by class name: what the tool sees of a network.
/// </summary>
internal static class AnalysedZoo
{
    public static string Folder => Path.Combine(ReferenceData.RepoRoot(), "architectures");

    private static readonly Lazy<IReadOnlyDictionary<string, NetworkModel>> Models = new(() =>
        Directory.GetFiles(Folder, "*.cnn.yaml")
            .SelectMany(path => CompileNetwork.Run(path, File.ReadAllText(path), "CnnGen.Architectures").Models)
            .ToDictionary(model => model.ClassName));

    public static NetworkModel Get(string className) => Models.Value[className];
}
