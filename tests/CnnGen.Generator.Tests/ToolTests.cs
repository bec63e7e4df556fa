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

    [Fact]
    public void Check_and_summary_know_the_projects_CSharp_layers_and_report_their_declarations_where_written()
    {
        // A project folder (it has a .csproj) with a [CnnLayer] class in a subfolder, and a network using it.
        var project = Directory.CreateTempSubdirectory("cnngen-tool-project-");
        try
        {
            File.WriteAllText(Path.Combine(project.FullName, "App.csproj"), "<Project Sdk=\"Microsoft.NET.Sdk\" />");
            Directory.CreateDirectory(Path.Combine(project.FullName, "Layers"));
            var layer = Path.Combine(project.FullName, "Layers", "Gate.cs");
            File.WriteAllText(layer, "using CnnGen.Runtime;\nnamespace App;\n[CnnLayer(\"gate2\", Arguments = \"reduction: int = 4\", Parameters = \"2 * in * (in // reduction)\")]\npublic sealed class Gate { }\n");
            var yaml = Path.Combine(project.FullName, "net.cnn.yaml");
            File.WriteAllText(yaml, "name: Net\ninput: [8, 16, 16]\nlayers:\n  conv: conv(8, k=3, p=1)\n  attn: gate2(reduction=2)\n  pool: gap\n  fc: linear(10)\n");

            Assert.Equal(0, Commands.Check(new[] { yaml }));
            var summary = new StringWriter();
            var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
            {
                Ansi = Spectre.Console.AnsiSupport.No,
                Out = new Spectre.Console.AnsiConsoleOutput(summary),
            });
            console.Profile.Width = 200;
            Assert.Equal(0, Commands.Summary(yaml, console: console));
            Assert.Contains("gate2 reduction=2", summary.ToString());
            // conv 8*8*9+8 = 584, gate 2*8*(8//2) = 64, linear 8*10+10 = 90.
            Assert.Contains("738", summary.ToString());

            // A rule that does not parse is reported at the C# file, and the use of the layer fails too.
            File.WriteAllText(layer, File.ReadAllText(layer).Replace("2 * in * (in // reduction)", "2 * in * ("));
            var output = new StringWriter();
            var previous = Console.Out;
            Console.SetOut(output);
            try
            {
                Assert.Equal(1, Commands.Check(new[] { yaml }));
            }
            finally
            {
                Console.SetOut(previous);
            }
            Assert.Contains($"{layer}(3,", output.ToString());
            Assert.Contains("error CNN0031", output.ToString());
            Assert.Contains($"{yaml}(5,9): error CNN0035", output.ToString());
        }
        finally
        {
            project.Delete(recursive: true);
        }
    }
}
