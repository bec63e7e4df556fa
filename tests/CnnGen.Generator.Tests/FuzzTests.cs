using System.Text.RegularExpressions;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace CnnGen.Generator.Tests;

/// <summary>
/// Thousands of mutations of the zoo files (deleted, duplicated and swapped lines, changed numbers and
/// names): every run must end with generated code or with located diagnostics, and the generator's
/// own failure diagnostic (CNN0017, an exception it caught) must never appear. Fixed seed.
/// </summary>
public class FuzzTests
{
    private const int Mutations = 2000;
    private static readonly string[] Names =
    {
        "conv", "bn", "relu", "linear", "maxpool", "gap", "flatten", "residual", "concat", "dense", "in", "i", "x", "layers", "blocks", "args", "input", "name",
        // The constructs for networks after 2018.
        "gate", "split", "scale", "silu", "gelu", "hardswish", "hardsigmoid", "layernorm", "permute", "stochastic_depth", "layer_scale", "channel_shuffle", "identity",
    };

    /// <summary>Zoo files the corpus must hold: each uses constructs the older ones do not (gate, split, channels-last, layer scale).</summary>
    private static readonly string[] ModernZoo = { "efficientnet.cnn.yaml", "efficientnet_v2.cnn.yaml", "mobilenet_v3.cnn.yaml", "shufflenet_v2.cnn.yaml", "regnet.cnn.yaml", "convnext.cnn.yaml" };

    private static string Mutate(string text, Random random)
    {
        var lines = text.Split('\n').ToList();
        var line = random.Next(lines.Count);
        switch (random.Next(6))
        {
            case 0:
                lines.RemoveAt(line);
                break;
            case 1:
                lines.Insert(line, lines[line]);
                break;
            case 2:
                var other = random.Next(lines.Count);
                (lines[line], lines[other]) = (lines[other], lines[line]);
                break;
            case 3:
                var numbers = Regex.Matches(lines[line], @"\d+");
                if (numbers.Count > 0)
                {
                    var match = numbers[random.Next(numbers.Count)];
                    var replacement = random.Next(5) switch { 0 => "0", 1 => "2147483647", 2 => (long.Parse(match.Value.Length > 18 ? "1" : match.Value) * 1000).ToString(), 3 => "-1", _ => (random.Next(1, 9)).ToString() };
                    lines[line] = lines[line].Remove(match.Index, match.Length).Insert(match.Index, replacement);
                }
                break;
            case 4:
                var words = Regex.Matches(lines[line], @"[A-Za-z_]\w*");
                if (words.Count > 0)
                {
                    var match = words[random.Next(words.Count)];
                    lines[line] = lines[line].Remove(match.Index, match.Length).Insert(match.Index, Names[random.Next(Names.Length)]);
                }
                break;
            default:
                var position = random.Next(lines[line].Length + 1);
                var symbols = "([{:,-#&*'\"x)]}";
                lines[line] = lines[line].Insert(position, symbols[random.Next(symbols.Length)].ToString());
                break;
        }
        return string.Join("\n", lines);
    }

    /// <summary>Diagnostics about the whole file, which have no line of their own to point at.</summary>
    private static readonly HashSet<string> Unlocated = new();

    [Fact]
    public void Mutated_zoo_files_give_code_or_located_diagnostics_and_never_crash()
    {
        var random = new Random(20261123);
        var files = Directory.GetFiles(Path.Combine(AppContext.BaseDirectory, "Zoo"), "*.cnn.yaml").Order(StringComparer.Ordinal)
            .Select(path => (Path: path, Text: File.ReadAllText(path).Replace("\r\n", "\n"))).ToList();
        Assert.Subset(files.Select(file => Path.GetFileName(file.Path)).ToHashSet(), ModernZoo.ToHashSet());
        var withCode = 0;
        var withErrors = 0;
        var compiledSamples = new List<string>();
        for (var n = 0; n < Mutations; n++)
        {
            var (path, text) = files[random.Next(files.Count)];
            var mutated = Mutate(text, random);
            if (random.Next(4) == 0) mutated = Mutate(mutated, random);
            var result = CompileNetwork.Run(path, mutated, $"Fuzz.Mutant{n}");
            Assert.DoesNotContain(result.Problems, p => p.Id == "CNN0017");
            // The tool draws and tabulates whatever the analysis kept, even a partial model.
            foreach (var model in result.Models)
            {
                CnnGen.Tool.LayerTree.Build(model.Layers, steps: model.Steps);
                if (!result.HasErrors) CnnGen.Tool.Diagram.Render(model);
            }
            var lineCount = mutated.Split('\n').Length;
            foreach (var problem in result.Problems)
            {
                Assert.InRange(problem.Span.StartLine, 0, lineCount);
                // Located, unless it is about the file as a whole.
                Assert.True(!problem.Span.Equals(CnnGen.Generator.Model.SourceSpan.None) || Unlocated.Contains(problem.Id), $"{problem.Id} without a location: {problem.Message}");
                Assert.False(string.IsNullOrWhiteSpace(problem.Message));
            }
            if (result.HasErrors)
            {
                Assert.Empty(result.Networks);
                withErrors++;
            }
            else
            {
                Assert.NotEmpty(result.Networks);
                withCode++;
                if (compiledSamples.Count < 10 && random.Next(10) == 0) compiledSamples.AddRange(result.Networks.Select(network => network.Source));
            }
        }
        Assert.True(withCode > Mutations / 20, $"only {withCode} mutations produced code");
        Assert.True(withErrors > Mutations / 5, $"only {withErrors} mutations produced errors");

        // A sample of the mutants that produced code must compile against TorchSharp (one compilation:
        // each mutant has its own namespace).
        var compilation = GeneratorHarness.NewCompilation()
            .AddSyntaxTrees(compiledSamples.Select((source, index) => CSharpSyntaxTree.ParseText(source, path: $"mutant{index}.g.cs")));
        var errors = compilation.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(5)) + "\n" +
            string.Join("\n", errors.Take(1).Select(e => e.Location.SourceTree!.ToString())));
    }
}
