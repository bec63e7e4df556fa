using System.Reflection;
using CnnGen.Generator.Roslyn;
using Microsoft.CodeAnalysis;
using Microsoft.CodeAnalysis.CSharp;

namespace CnnGen.Generator.Tests;

/// <summary>
/// Layers written in C# with [CnnLayer]: the real generator over an in-memory compilation that holds
/// the class and a network using it; diagnostics with their IDs and places (C# or YAML); the emitted
/// network built and run, and its construction-time parameter check.
/// </summary>
public class CustomLayerTests
{
    private const string LayerPath = "/src/Gate.cs";
    private const string NetworkPath = "/src/gated.cnn.yaml";

    /// <summary>A squeeze-and-excitation-style gate: two bias-free 1x1 convolutions, 2 * C * (C // r) parameters.</summary>
    private static string Layer(string attribute = "[CnnLayer(\"gate\", Arguments = \"reduction: int = 4\", Parameters = \"2 * in * (in // reduction)\")]",
        string constructor = "public Gate(long inChannels, int reduction)") => $$"""
        using CnnGen.Runtime;
        using TorchSharp;
        using static TorchSharp.torch;

        namespace Consumer;

        {{attribute}}
        public sealed class Gate : nn.Module<Tensor, Tensor>
        {
            private readonly TorchSharp.Modules.Conv2d fc1;
            private readonly TorchSharp.Modules.Conv2d fc2;

            {{constructor}} : base(nameof(Gate))
            {
                fc1 = nn.Conv2d(inChannels, inChannels / reduction, 1, bias: false);
                fc2 = nn.Conv2d(inChannels / reduction, inChannels, 1, bias: false);
                RegisterComponents();
            }

            public override Tensor forward(Tensor x)
            {
                using var squeezed = x.mean(new long[] { 2, 3 }, keepdim: true);
                using var hidden = fc1.forward(squeezed).relu_();
                using var gate = fc2.forward(hidden).sigmoid_();
                return x * gate;
            }
        }
        """;

    private const string Network = "name: Gated\ninput: [3, 16, 16]\nlayers:\n  conv: conv(8, k=3, p=1)\n  attn: gate(reduction=2)\n  pool: gap\n  fc: linear(10)\n";

    private static (Compilation Output, IReadOnlyList<Diagnostic> Diagnostics, GeneratorDriver Driver) Run(string csharp, string yaml = Network)
    {
        var compilation = GeneratorHarness.NewCompilation().AddSyntaxTrees(CSharpSyntaxTree.ParseText(csharp, path: LayerPath));
        var driver = GeneratorHarness.NewDriver(new[] { new GeneratorHarness.YamlFile(NetworkPath, yaml) });
        driver = driver.RunGeneratorsAndUpdateCompilation(compilation, out var output, out var diagnostics);
        return (output, diagnostics, driver);
    }

    private static Diagnostic Single(IReadOnlyList<Diagnostic> diagnostics, string id, string path, int line, int column, params string[] facts)
    {
        var matching = diagnostics.Where(d => d.Id == id).ToList();
        Assert.True(matching.Count == 1, $"expected one {id}, got:\n{string.Join("\n", diagnostics)}");
        var span = matching[0].Location.GetLineSpan();
        Assert.Equal((path, line, column), (span.Path, span.StartLinePosition.Line + 1, span.StartLinePosition.Character + 1));
        foreach (var fact in facts) Assert.Contains(fact, matching[0].GetMessage());
        // No help link (there is no public repository); the description points at 'cnngen explain'.
        Assert.True(string.IsNullOrEmpty(matching[0].Descriptor.HelpLinkUri), matching[0].Descriptor.HelpLinkUri);
        Assert.Contains($"cnngen explain {id}", matching[0].Descriptor.Description.ToString());
        return matching[0];
    }

    private static string GeneratedSource(Compilation output) =>
        output.SyntaxTrees.Single(tree => Path.GetFileName(tree.FilePath).StartsWith("Gated.")).ToString();

    [Fact]
    public void A_custom_layer_is_checked_counted_and_built_like_a_built_in_one()
    {
        var (output, diagnostics, _) = Run(Layer());
        Assert.Empty(diagnostics);
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(10)));
        var source = GeneratedSource(output);
        // conv 8*3*9+8 = 224, gate 2*8*(8//2) = 64, linear 8*10+10 = 90.
        Assert.Contains("public const long ParameterCount = 378L;", source);
        Assert.Contains("private readonly global::Consumer.Gate _attn;", source);
        Assert.Contains("CustomLayers.CheckParameterCount(new global::Consumer.Gate(8, 2), \"Consumer.Gate\", 64L, \"attn\")", source);
        Assert.Contains("CustomLayers.Forward(_attn, ", source);
    }

    [Fact]
    public void Arguments_are_built_in_the_constructor_types_with_casts_for_sizes_over_model_arguments()
    {
        var attribute = Attribute("Arguments = \"reduction: int = 4, scale: float = 0.5, half: float = 1.0, gated: bool = true\", Parameters = \"2 * in * (in // reduction)\"");
        var constructor = "public Gate(long inChannels, int reduction, float scale, double half, bool gated)";
        var yaml = "name: Gated\ninput: [3, 16, 16]\nargs: { c: 8, r: 2 }\nlayers:\n  conv: conv(c, k=3, p=1)\n  attn: gate(reduction=r, scale=0.25, gated=false)\n  pool: gap\n  fc: linear(10)\n";
        var (output, diagnostics, _) = Run(Layer(attribute, constructor), yaml);
        Assert.Empty(diagnostics);
        var errors = output.GetDiagnostics().Where(d => d.Severity == DiagnosticSeverity.Error).ToList();
        Assert.True(errors.Count == 0, string.Join("\n", errors.Take(10)));
        // The channels and the reduction follow model arguments (cast to the parameter's type), a float gets its
        // cast, a double its literal, and the declared count is computed from the arguments.
        Assert.Contains("CustomLayers.CheckParameterCount(new global::Consumer.Gate((long)(c), (int)(r), (float)(0.25), 1.0, false), \"Consumer.Gate\", (long)(", GeneratedSource(output));
    }

    [Fact]
    public void The_generated_network_runs_and_checks_the_real_parameter_count_once()
    {
        using var network = Build(Run(Layer()).Output, "Consumer.Networks.Gated");
        Assert.Equal(378L, ((TorchSharp.torch.nn.Module)network).parameters().Sum(p => p.numel()));
        using var input = TorchSharp.torch.randn(2, 3, 16, 16);
        using var result = ((TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>)network).forward(input);
        Assert.Equal(new long[] { 2, 10 }, result.shape);
    }

    [Fact]
    public void A_module_that_returns_its_input_keeps_a_tensor_the_forward_does_not_free()
    {
        // The generated forward frees the conv's output after its last use, the layer; an identity layer returns
        // that very tensor, which must stay valid for the pooling after it.
        var identity = Layer().Replace("return x * gate;", "return x;");
        using var network = Build(Run(identity).Output, "Consumer.Networks.Gated");
        var module = (TorchSharp.torch.nn.Module<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>)network;
        module.eval();
        using var input = TorchSharp.torch.randn(2, 3, 16, 16);
        using var result = module.forward(input);
        Assert.Equal(new long[] { 2, 10 }, result.shape);
        Assert.True(result.isfinite().all().item<bool>());
    }

    [Fact]
    public void A_declared_count_that_differs_from_the_module_throws_naming_the_type_and_both_counts()
    {
        // The rule says 2*C*C/r + 1; the module has 64 parameters, the attribute declares 65.
        var attribute = "[CnnLayer(\"gate\", Arguments = \"reduction: int = 4\", Parameters = \"2 * in * (in // reduction) + 1\")]";
        var output = Run(Layer(attribute)).Output;
        var error = Assert.Throws<TargetInvocationException>(() => Build(output, "Consumer.Networks.Gated")).InnerException;
        var exception = Assert.IsType<InvalidOperationException>(error);
        Assert.Contains("Consumer.Gate", exception.Message);
        Assert.Contains("'attn'", exception.Message);
        Assert.Contains("has 64 parameters", exception.Message);
        Assert.Contains("declares 65", exception.Message);
    }

    private const int AttributeLine = 7;

    private static string Attribute(string properties) => $"[CnnLayer(\"gate\", {properties})]";

    /// <summary>The 1-based column of <paramref name="fragment"/> in the attribute line.</summary>
    private static int ColumnOf(string attribute, string fragment) => attribute.IndexOf(fragment, StringComparison.Ordinal) + 1;

    [Fact]
    public void CNN0030_an_argument_of_an_unknown_type_is_reported_at_the_type_in_the_attribute()
    {
        var attribute = Attribute("Arguments = \"reduction: integer = 4\", Parameters = \"2 * in * (in // reduction)\"");
        var (_, diagnostics, _) = Run(Layer(attribute));
        Single(diagnostics, "CNN0030", LayerPath, AttributeLine, ColumnOf(attribute, "integer"), "Consumer.Gate", "'integer' is not an argument type; use int, float, bool");
        // Its use in YAML says the layer has errors, instead of guessing at its arguments.
        Single(diagnostics, "CNN0035", NetworkPath, 5, 9, "'gate' is the C# layer Consumer.Gate", "Gate.cs(7,2)");
    }

    [Fact]
    public void CNN0030_a_default_of_the_wrong_type_is_reported_at_the_default()
    {
        var attribute = Attribute("Arguments = \"reduction: int = 0.5\", Parameters = \"2 * in * (in // reduction)\"");
        Single(Run(Layer(attribute)).Diagnostics, "CNN0030", LayerPath, AttributeLine, ColumnOf(attribute, " 0.5"), "the default of 'reduction' is a number (0.5), not int");
    }

    [Fact]
    public void CNN0031_a_rule_that_does_not_parse_is_reported_in_the_rule()
    {
        var attribute = Attribute("Arguments = \"reduction: int = 4\", Parameters = \"2 * in * \"");
        Single(Run(Layer(attribute)).Diagnostics, "CNN0031", LayerPath, AttributeLine, ColumnOf(attribute, "\"2 * in * \"") + 10, "Parameters = \"2 * in * \" does not parse");
    }

    [Fact]
    public void CNN0031_a_rule_that_names_an_undeclared_value_is_reported_at_the_name()
    {
        var attribute = Attribute("Arguments = \"reduction: int = 4\", Parameters = \"2 * in * (in // reductoin)\"");
        Single(Run(Layer(attribute)).Diagnostics, "CNN0031", LayerPath, AttributeLine, ColumnOf(attribute, "reductoin"),
            "'reductoin' is not defined here; did you mean 'reduction'?", "the rule sees in, out, reduction");
    }

    [Fact]
    public void CNN0032_a_rule_that_does_not_evaluate_for_a_use_is_reported_at_the_use()
    {
        var (_, diagnostics, _) = Run(Layer(), Network.Replace("gate(reduction=2)", "gate(reduction=0)"));
        Single(diagnostics, "CNN0032", NetworkPath, 5, 9, "'attn' (gate, the C# layer Consumer.Gate) receives 8x16x16", "Parameters = \"2 * in * (in // reduction)\" does not evaluate: division by zero");
    }

    [Fact]
    public void CNN0032_a_rule_that_gives_no_whole_count_is_reported_at_the_use()
    {
        var attribute = Attribute("Arguments = \"reduction: int = 4\", Channels = \"in / reduction\", Parameters = \"0\"");
        var (_, diagnostics, _) = Run(Layer(attribute), Network.Replace("gate(reduction=2)", "gate(reduction=3)"));
        Single(diagnostics, "CNN0032", NetworkPath, 5, 9, "Channels = \"in / reduction\" gives 2.6666666666666665 with in=8, reduction=3; it must be a positive integer");
    }

    [Fact]
    public void CNN0033_a_class_without_the_constructor_is_reported_at_the_attribute()
    {
        var (_, diagnostics, _) = Run(Layer(constructor: "public Gate(long inChannels, bool reduction)"));
        Single(diagnostics, "CNN0033", LayerPath, AttributeLine, 2, "new Gate(long inChannels, int reduction)", "it has (long inChannels, bool reduction)");
    }

    [Fact]
    public void CNN0033_a_class_that_is_not_a_module_of_tensors_is_reported_at_the_attribute()
    {
        var code = "using CnnGen.Runtime;\nnamespace Consumer;\n[CnnLayer(\"gate\")]\npublic sealed class Gate { public Gate(long inChannels) { } }\n";
        Single(Run(code).Diagnostics, "CNN0033", LayerPath, 3, 2, "must derive from TorchSharp's Module<Tensor, Tensor>");
    }

    [Fact]
    public void CNN0034_a_name_of_a_built_in_layer_is_reported_at_the_name()
    {
        var attribute = "[CnnLayer(\"conv\", Arguments = \"reduction: int = 4\", Parameters = \"2 * in * (in // reduction)\")]";
        var (_, diagnostics, _) = Run(Layer(attribute), Network.Replace("gate(reduction=2)", "relu"));
        Single(diagnostics, "CNN0034", LayerPath, AttributeLine, ColumnOf(attribute, "\"conv\""), "'conv' is the built-in layer 'conv'");
    }

    [Fact]
    public void CNN0035_a_use_of_a_layer_whose_declaration_has_errors_is_reported_at_the_use()
    {
        var (_, diagnostics, _) = Run(Layer(constructor: "public Gate(long inChannels, double reduction)"));
        Single(diagnostics, "CNN0033", LayerPath, AttributeLine, 2, "the input channels, then the declared arguments in order");
        Single(diagnostics, "CNN0035", NetworkPath, 5, 9, "fix them to use it");
    }

    [Theory]
    [InlineData("gate(reductoin=2)", "CNN0006", 14, "'gate' has no argument 'reductoin'; did you mean 'reduction'?")]
    [InlineData("gate(reduction=0.5)", "CNN0007", 24, "argument 'reduction' of 'gate' must be an integer, not a number (0.5)")]
    [InlineData("gate(2, 3)", "CNN0006", 17, "'gate' has no argument '#2'")]
    public void Uses_are_bound_like_built_in_layers(string use, string id, int column, string fact)
    {
        var (_, diagnostics, _) = Run(Layer(), Network.Replace("gate(reduction=2)", use));
        Single(diagnostics, id, NetworkPath, 5, column, fact);
    }

    [Fact]
    public void CNN0005_a_required_argument_missing_at_the_use()
    {
        var attribute = Attribute("Arguments = \"reduction: int\", Parameters = \"2 * in * (in // reduction)\"");
        Single(Run(Layer(attribute), Network.Replace("gate(reduction=2)", "gate")).Diagnostics, "CNN0005", NetworkPath, 5, 9, "'gate' needs the argument 'reduction'");
    }

    [Fact]
    public void Editing_unrelated_CSharp_leaves_every_network_cached_and_editing_the_attribute_recompiles()
    {
        var (_, _, driver) = Run(Layer());
        var compilation = GeneratorHarness.NewCompilation().AddSyntaxTrees(CSharpSyntaxTree.ParseText(Layer(), path: LayerPath));
        var other = CSharpSyntaxTree.ParseText("namespace Consumer { internal static class Other { } }", path: "/src/Other.cs");
        driver = driver.RunGenerators(compilation.AddSyntaxTrees(other));
        var edited = compilation.AddSyntaxTrees(other.WithChangedText(Microsoft.CodeAnalysis.Text.SourceText.From("namespace Consumer { internal static class Other { static int X; } }")));
        driver = driver.RunGenerators(edited);
        var steps = driver.GetRunResult().Results.Single().TrackedSteps;
        Assert.All(steps[CnnGenerator.TrackingNames.Compiled].SelectMany(step => step.Outputs), output =>
            Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));

        // Editing the layer's code below its attribute re-reads the declaration, which compares equal: still cached.
        var layerTree = edited.SyntaxTrees.Single(t => t.FilePath == LayerPath);
        edited = edited.ReplaceSyntaxTree(layerTree, CSharpSyntaxTree.ParseText(Layer().Replace("return x * gate;", "return gate * x;"), path: LayerPath));
        driver = driver.RunGenerators(edited);
        Assert.All(driver.GetRunResult().Results.Single().TrackedSteps[CnnGenerator.TrackingNames.Compiled].SelectMany(step => step.Outputs), output =>
            Assert.Equal(IncrementalStepRunReason.Cached, output.Reason));

        var tree = edited.SyntaxTrees.Single(t => t.FilePath == LayerPath);
        var changed = edited.ReplaceSyntaxTree(tree, CSharpSyntaxTree.ParseText(Layer().Replace("(in // reduction)", "(in // reduction) + 0"), path: LayerPath));
        driver = driver.RunGenerators(changed);
        var compiled = driver.GetRunResult().Results.Single().TrackedSteps[CnnGenerator.TrackingNames.Compiled].SelectMany(step => step.Outputs).ToList();
        // Same count, so the network's output is Unchanged; but it was compiled again, not taken from the cache.
        Assert.All(compiled, output => Assert.NotEqual(IncrementalStepRunReason.Cached, output.Reason));
        Assert.Contains(driver.GetRunResult().Results.Single().TrackedSteps[CnnGenerator.TrackingNames.CustomLayers].SelectMany(step => step.Outputs),
            output => output.Reason == IncrementalStepRunReason.Modified);
    }

    private static IDisposable Build(Compilation output, string typeName)
    {
        using var stream = new MemoryStream();
        var emitted = output.Emit(stream);
        Assert.True(emitted.Success, string.Join("\n", emitted.Diagnostics.Where(d => d.Severity == DiagnosticSeverity.Error).Take(10)));
        var assembly = Assembly.Load(stream.ToArray());
        return (IDisposable)Activator.CreateInstance(assembly.GetType(typeName, throwOnError: true)!)!;
    }
}
