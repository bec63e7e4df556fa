using CnnGen.Generator.Roslyn;
using Microsoft.CodeAnalysis;

namespace CnnGen.Generator.Tests;

/// <summary>The Roslyn generator end to end: sources, diagnostics as the compiler prints them, caching.</summary>
public class GeneratorTests
{
    [Fact]
    public void The_whole_zoo_generates_code_that_compiles_against_TorchSharp()
    {
        var compilation = GeneratorHarness.NewCompilation();
        var driver = GeneratorHarness.NewDriver(GeneratorHarness.ZooFiles());
        driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(10)));
        var names = output.SyntaxTrees.Select(tree => Path.GetFileName(tree.FilePath)).ToList();
        Assert.Contains(names, name => name.StartsWith("ResNet50.") && name.EndsWith(".g.cs"));
        Assert.Contains("NetworkCatalog.g.cs", names);
    }

    [Fact]
    public void A_network_whose_children_are_called_trunk_and_head_compiles_and_keeps_their_properties()
    {
        // The forward's private parts are TrunkSteps and HeadSteps, so timm-style names ('stem', 'trunk', 'head')
        // stay free for the typed properties of the top-level children.
        var yaml = "name: Named\ninput: [3, 16, 16]\nargs: { num_classes: 5 }\nhead: head\nlayers:\n" +
                   "  trunk:\n    - conv(8, k=3, p=1)\n    - relu\n  pool: gap\n  head: linear(num_classes)\n";
        var driver = GeneratorHarness.NewDriver(new[] { new GeneratorHarness.YamlFile("/src/named.cnn.yaml", yaml) });
        driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.NewCompilation(), out var output, out var generatorDiagnostics);
        Assert.Empty(generatorDiagnostics);
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(10)));
        var source = output.SyntaxTrees.Single(tree => Path.GetFileName(tree.FilePath).StartsWith("Named.")).ToString();
        Assert.Contains("public ModuleGroup Trunk =>", source);
        Assert.Contains(" Head =>", source);
        Assert.Contains("private Tensor HeadSteps(Tensor features, bool owned)", source);
    }

    [Fact]
    public void Diagnostics_appear_at_the_yaml_line_and_column_as_the_compiler_prints_them()
    {
        var file = new GeneratorHarness.YamlFile("/src/bad.cnn.yaml", "name: Bad\ninput: [3, 32, 32]\nlayers:\n  conv1: conv(8, k=3)\n  pool: maxpol(k=2)\n");
        var driver = GeneratorHarness.NewDriver(new[] { file });
        driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.NewCompilation(), out _, out var diagnostics);
        var diagnostic = Assert.Single(diagnostics);
        Assert.Equal("/src/bad.cnn.yaml(5,9): error CNN0004: 'maxpol' is not a layer or a block of this file; did you mean 'maxpool'?",
            diagnostic.ToString());
        Assert.Equal("", diagnostic.Descriptor.HelpLinkUri);
        Assert.Contains("cnngen explain CNN0004", diagnostic.Descriptor.Description.ToString());
    }

    [Fact]
    public void Hostile_files_give_diagnostics_and_never_a_generator_exception()
    {
        var files = new[]
        {
            new GeneratorHarness.YamlFile("/src/empty.cnn.yaml", ""),
            new GeneratorHarness.YamlFile("/src/binary.cnn.yaml", "\0\u0001\u0002\uFFFD{{[[::"),
            new GeneratorHarness.YamlFile("/src/list.cnn.yaml", "- 1\n- 2\n"),
            new GeneratorHarness.YamlFile("/src/deep.cnn.yaml", "layers: " + new string('[', 10_000) + new string(']', 10_000)),
            new GeneratorHarness.YamlFile("/src/huge.cnn.yaml", "name: Huge\ninput: [3, 8, 8]\nlayers:\n  l: 2147483647x relu\n"),
            new GeneratorHarness.YamlFile("/src/overflow.cnn.yaml", "name: Over\ninput: [3, 8, 8]\nlayers:\n  c: conv(2000000000, k=3, p=1)\n  d: conv(2000000000, k=1000, p=500)\n"),
        };
        var driver = GeneratorHarness.NewDriver(files);
        driver = driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.NewCompilation(), out _, out var diagnostics);
        var result = driver.GetRunResult();
        Assert.All(result.Results, r => Assert.Null(r.Exception));
        Assert.DoesNotContain(diagnostics, d => d.Id == "CS8785" || d.Id == "CNN0017");
        foreach (var file in files)
            Assert.Contains(diagnostics, d => d.Location.GetLineSpan().Path == file.Path && d.Severity == DiagnosticSeverity.Error);
    }

    [Fact]
    public void Running_twice_on_the_same_inputs_leaves_every_step_cached()
    {
        var compilation = GeneratorHarness.NewCompilation();
        var driver = GeneratorHarness.NewDriver(GeneratorHarness.ZooFiles());
        driver = driver.RunGenerators(compilation);
        driver = driver.RunGenerators(compilation.Clone());
        var steps = driver.GetRunResult().Results.Single().TrackedSteps;
        foreach (var name in new[] { CnnGenerator.TrackingNames.Files, CnnGenerator.TrackingNames.Compiled, CnnGenerator.TrackingNames.Namespace })
        {
            Assert.True(steps.ContainsKey(name), name);
            Assert.All(steps[name].SelectMany(step => step.Outputs), output =>
                Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, $"{name}: {output.Reason}"));
        }
    }

    [Fact]
    public void Editing_one_network_recompiles_only_that_network()
    {
        var files = GeneratorHarness.ZooFiles().ToList();
        var compilation = GeneratorHarness.NewCompilation();
        var driver = GeneratorHarness.NewDriver(files);
        driver = driver.RunGenerators(compilation);
        var old = files.Single(f => f.Path.EndsWith("lenet5.cnn.yaml"));
        var edited = new GeneratorHarness.YamlFile(old.Path, old.GetText()!.ToString().Replace("linear(84)", "linear(64)").Replace("61706", "59086"));
        driver = driver.ReplaceAdditionalText(old, edited).RunGenerators(compilation);
        var outputs = driver.GetRunResult().Results.Single().TrackedSteps[CnnGenerator.TrackingNames.Compiled].SelectMany(step => step.Outputs).ToList();
        Assert.Equal(files.Count, outputs.Count);
        var modified = Assert.Single(outputs, output => output.Reason == IncrementalStepRunReason.Modified);
        Assert.Equal("LeNet5", ((CompileResult)modified.Value).Networks.Single().ClassName);
        Assert.Empty(((CompileResult)modified.Value).Problems);
        Assert.All(outputs.Where(o => o != modified), o => Assert.Equal(IncrementalStepRunReason.Cached, o.Reason));
    }

    [Fact]
    public void A_comment_only_edit_recompiles_that_file_to_an_equal_result_and_emits_nothing_new()
    {
        var files = GeneratorHarness.ZooFiles().ToList();
        var compilation = GeneratorHarness.NewCompilation();
        var driver = GeneratorHarness.NewDriver(files).RunGenerators(compilation);
        var old = files.Single(f => Path.GetFileName(f.Path) == "resnet18.cnn.yaml");
        // A comment line above everything shifts every YAML position by one line; nothing generated depends on them.
        var edited = new GeneratorHarness.YamlFile(old.Path, "# a note\n" + old.GetText()!.ToString().Replace("# ", "#  "));
        driver = driver.ReplaceAdditionalText(old, edited).RunGenerators(compilation);
        var steps = driver.GetRunResult().Results.Single().TrackedSteps;
        var compiled = steps[CnnGenerator.TrackingNames.Compiled].SelectMany(step => step.Outputs).ToList();
        Assert.Equal(files.Count, compiled.Count);
        var recompiled = Assert.Single(compiled, output => output.Reason != IncrementalStepRunReason.Cached);
        Assert.Equal(IncrementalStepRunReason.Unchanged, recompiled.Reason);
        Assert.Equal("ResNet18", ((CompileResult)recompiled.Value).Networks.Single().ClassName);
        // The source outputs see an unchanged input, so no network's source is produced again.
        var sourceOutputs = driver.GetRunResult().Results.Single().TrackedOutputSteps.SelectMany(step => step.Value).SelectMany(step => step.Outputs).ToList();
        Assert.NotEmpty(sourceOutputs);
        Assert.All(sourceOutputs, output => Assert.True(output.Reason is IncrementalStepRunReason.Cached or IncrementalStepRunReason.Unchanged, output.Reason.ToString()));
    }

    [Fact]
    public void Two_files_with_the_same_class_name_get_a_clear_diagnostic()
    {
        var text = "name: Twin\ninput: [1, 8, 8]\nlayers:\n  f: flatten\n";
        var driver = GeneratorHarness.NewDriver(new[] { new GeneratorHarness.YamlFile("/a/twin.cnn.yaml", text), new GeneratorHarness.YamlFile("/b/twin.cnn.yaml", text) });
        driver.RunGeneratorsAndUpdateCompilation(GeneratorHarness.NewCompilation(), out var output, out var diagnostics);
        Assert.Equal(2, diagnostics.Count(d => d.Id == "CNN0014" && d.GetMessage().Contains("'Twin' is generated more than once")));
        // Hint names never collide (they carry a hash of the file's path); the compiler then also
        // reports the duplicate class, next to CNN0014 that says which files to fix.
        var twins = output.SyntaxTrees.Select(tree => Path.GetFileName(tree.FilePath)).Where(name => name.StartsWith("Twin.")).ToList();
        Assert.Equal(2, twins.Distinct().Count());
    }
}
