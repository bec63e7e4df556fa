using CnnGen.Tool;

namespace CnnGen.Generator.Tests;

/// <summary>The cnngen tool shares the generator's pipeline: same diagnostics, same format, exit codes.</summary>
public class ToolTests
{
    [Fact]
    public void Check_prints_diagnostics_as_the_compiler_does_and_fails_on_errors()
    {
        var path = Path.Combine(Path.GetTempPath(), $"cnngen-tool-{Guid.NewGuid():N}.cnn.yaml");
        File.WriteAllText(path, "name: Net\ninput: [3, 32, 32]\nlayers:\n  conv1: conv(8, k=3)\n  pool: maxpol(k=2)\n");
        try
        {
            var result = CompileNetwork.Run(Path.GetFullPath(path), File.ReadAllText(path), "N");
            Assert.Equal($"{path}(5,9): error CNN0004: 'maxpol' is not a layer or a block of this file; did you mean 'maxpool'?",
                Commands.Format(path, result.Problems.Single()));
            Assert.Equal(1, Commands.Check(new[] { path }));
        }
        finally
        {
            File.Delete(path);
        }
    }

    [Fact]
    public void Check_passes_the_zoo() =>
        Assert.Equal(0, Commands.Check(Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Zoo"), "*.cnn.yaml")));

    [Fact]
    public void Summary_and_zoo_succeed_on_the_zoo()
    {
        Assert.Equal(0, Commands.Summary(Pipeline.ZooPath("resnet50.cnn.yaml")));
        Assert.Equal(0, Commands.Zoo(Path.Combine(AppContext.BaseDirectory, "Zoo")));
        Assert.Equal(2, Commands.Zoo("/no/such/folder"));
    }
}
