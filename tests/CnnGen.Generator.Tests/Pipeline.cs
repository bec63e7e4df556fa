using CnnGen.Generator;

namespace CnnGen.Generator.Tests;

/// <summary>Runs the pure pipeline on YAML text, as the source generator does.</summary>
internal static class Pipeline
{
    public static CompileResult Compile(string yaml, string path = "/src/net.cnn.yaml") =>
        CompileNetwork.Run(path, yaml.Replace("\r\n", "\n"), "CnnGen.Tests");

    public static string ZooPath(string file) => Path.Combine(AppContext.BaseDirectory, "Zoo", file);

    public static CompileResult CompileZoo(string file) => CompileNetwork.Run(ZooPath(file), File.ReadAllText(ZooPath(file)), "CnnGen.Architectures");
}
