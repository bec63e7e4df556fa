using System.Runtime.CompilerServices;
using CnnGen.Runtime;
using CnnGen.Runtime.Weights;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// The top README's "Fine-tuning a published network" recipe, run as written: the lines between the markers
/// below are the README's code block (a test compares the two), on the resnet18.pth Debian's torchvision writes
/// (make_head_cases.py) in place of the published resnet18-f37072fd.pth, which has the same keys and shapes.
/// Serial: the new head's initial values are known by seeding the process-wide generator, which tests running in
/// parallel draw from.
/// </summary>
[Collection(nameof(SerialCollection))]
public class FineTuningRecipeTests(ITestOutputHelper output)
{
    private const string Heading = "## Fine-tuning a published network";
    private const string Begin = "// README recipe begins";
    private const string End = "// README recipe ends";
    private const int Seed = 7;

    [Fact]
    public void The_recipe_loads_the_backbone_and_one_step_moves_only_the_new_head()
    {
        var path = Path.Combine(ReferenceData.GetHeadCases(), "resnet18.pth");
        using var file = new ResNet18();
        Assert.False(file.LoadWeights(path).HasProblems);
        // The head the recipe's constructor makes: the same seed, the same initialisation.
        manual_seed(Seed);
        using var initial = new ResNet18(numClasses: 10);
        var initialHead = initial.state_dict().Where(pair => pair.Key.StartsWith("fc.", StringComparison.Ordinal))
            .ToDictionary(pair => pair.Key, pair => pair.Value.detach().clone());
        using var images = randn(4, 3, 64, 64);
        using var labels = tensor(new long[] { 0, 3, 7, 9 });
        manual_seed(Seed);

        // README recipe begins
        using var model = new ResNet18(numClasses: 10);
        var report = model.LoadWeights(path, new WeightsOptions { NewHead = true });
        Console.WriteLine(report);   // loaded 120 tensors; skipped 2: fc.weight: new head (file [1000,512], module [10,512]), fc.bias: new head (file [1000], module [10])
        model.Freeze();              // nothing before fc requires grad, and its batch norms stay in eval mode under train()
        using var optimizer = optim.SGD(model.parameters().Where(p => p.requires_grad), learningRate: 0.01, momentum: 0.9);

        // One training step on a batch: images [N, 3, 224, 224] normalised as for ImageNet, labels [N] in 0..9.
        model.train();
        using (NewDisposeScope())
        {
            optimizer.zero_grad();
            nn.functional.cross_entropy(model.forward(images), labels).backward();
            optimizer.step();
        }

        // Feature extraction: every step before fc, ResNet-18's 512 pooled features per image.
        model.eval();
        using var features = model.ForwardFeatures(images);   // [N, 512]
        // README recipe ends

        output.WriteLine(report.ToString());
        Assert.False(report.HasProblems, report.ToString());
        Assert.Equal(new[]
        {
            new KeyNote("fc.weight", "new head (file [1000,512], module [10,512])"),
            new KeyNote("fc.bias", "new head (file [1000], module [10])"),
        }, report.SkippedKeys);

        // Every backbone tensor, batch-norm running statistics and counters included, is the file's after the step.
        var fromFile = file.state_dict();
        var backbone = model.state_dict().Where(pair => !pair.Key.StartsWith("fc.", StringComparison.Ordinal)).ToList();
        Assert.Equal(fromFile.Count - 2, backbone.Count);
        Assert.Contains(backbone, pair => pair.Key.EndsWith(".running_var", StringComparison.Ordinal));
        foreach (var (key, tensor) in backbone)
            Assert.True(tensor.equal(fromFile[key]).all().item<bool>(), $"{key} differs from the file after the step");
        foreach (var (key, tensor) in initialHead)
            Assert.False(model.state_dict()[key].equal(tensor).all().item<bool>(), $"{key} did not move");

        Assert.Equal(new long[] { 4, 512 }, features.shape);
        using var logits = model.ForwardHead(features);
        using var direct = model.forward(images);
        Assert.True(logits.equal(direct).all().item<bool>(), "ForwardHead(ForwardFeatures(x)) differs from forward(x)");
    }

    [Fact]
    public void The_README_block_is_the_tested_recipe()
    {
        var readme = File.ReadAllLines(Path.Combine(ReferenceData.RepositoryRoot, "README.md"));
        var section = Array.IndexOf(readme, Heading);
        Assert.True(section >= 0, $"README.md has no '{Heading}'");
        var open = Array.FindIndex(readme, section, line => line == "```csharp");
        var close = open < 0 ? -1 : Array.FindIndex(readme, open + 1, line => line == "```");
        Assert.True(close > open, $"no ```csharp block after '{Heading}'");
        var block = readme[(open + 1)..close];

        var recipe = TestedRecipe();
        var start = Array.IndexOf(block, recipe[0]);
        Assert.True(start >= 0, $"the README block lacks the recipe's first line '{recipe[0]}'");
        Assert.Equal(recipe, block[start..]);
        // Before the recipe only its usings and the downloaded file's name.
        Assert.All(block[..start], line => Assert.True(line.Length == 0 || line.StartsWith("using ", StringComparison.Ordinal)
            || line.StartsWith("var path = \"resnet18-f37072fd.pth\";", StringComparison.Ordinal), $"unexpected line before the recipe: {line}"));
    }

    /// <summary>This file's lines between the markers, with the method body's indentation removed.</summary>
    private static string[] TestedRecipe([CallerFilePath] string source = "")
    {
        var lines = File.ReadAllLines(source);
        var begin = Array.FindIndex(lines, line => line.Trim() == Begin);
        var end = Array.FindIndex(lines, line => line.Trim() == End);
        var indent = lines[begin].Length - lines[begin].TrimStart().Length;
        return lines[(begin + 1)..end].Select(line => line.Length >= indent ? line[indent..] : line.TrimStart()).ToArray();
    }
}
