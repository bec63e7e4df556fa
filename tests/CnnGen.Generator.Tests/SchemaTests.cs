using System.Globalization;
using System.Text.Json.Nodes;
using NJsonSchema;
using YamlDotNet.RepresentationModel;

namespace CnnGen.Generator.Tests;

/// <summary>
/// cnn.schema.json lets YAML editors (VS Code's yaml-language-server, Rider) complete keys and flag
/// typos while typing: every zoo file names it in its first line and must validate, and wrong files must not.
/// </summary>
public class SchemaTests
{
    private static readonly Lazy<JsonSchema> Schema = new(() =>
        JsonSchema.FromJsonAsync(File.ReadAllText(Path.Combine(AppContext.BaseDirectory, "cnn.schema.json"))).GetAwaiter().GetResult());

    /// <summary>YAML to JSON with YAML's core-schema typing of plain scalars (numbers, booleans), as editors do.</summary>
    private static JsonNode? ToJson(YamlNode node) => node switch
    {
        YamlMappingNode mapping => new JsonObject(mapping.Children.Select(pair =>
            KeyValuePair.Create(((YamlScalarNode)pair.Key).Value!, ToJson(pair.Value)))),
        YamlSequenceNode sequence => new JsonArray(sequence.Children.Select(ToJson).ToArray()),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar when long.TryParse(scalar.Value, NumberStyles.Integer, CultureInfo.InvariantCulture, out var integer) => JsonValue.Create(integer),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain } scalar when double.TryParse(scalar.Value, NumberStyles.Float, CultureInfo.InvariantCulture, out var number) => JsonValue.Create(number),
        YamlScalarNode { Style: YamlDotNet.Core.ScalarStyle.Plain, Value: "true" or "false" } scalar => JsonValue.Create(scalar.Value == "true"),
        YamlScalarNode scalar => JsonValue.Create(scalar.Value!.Replace(CnnGen.Generator.Syntax.YamlTreeReader.ProtectedComma, ',')),
        _ => null,
    };

    private static ICollection<NJsonSchema.Validation.ValidationError> Validate(string yaml)
    {
        var stream = new YamlStream();
        // The generator reads commas inside calls as part of the call, also in YAML flow collections.
        stream.Load(new StringReader(CnnGen.Generator.Syntax.YamlTreeReader.ProtectCallCommas(yaml)));
        return Schema.Value.Validate(ToJson(stream.Documents[0].RootNode)!.ToJsonString());
    }

    [Theory]
    [MemberData(nameof(ZooAnalysisTests.ZooFiles), MemberType = typeof(ZooAnalysisTests))]
    public void Every_zoo_file_names_the_schema_and_validates(string file)
    {
        var text = File.ReadAllText(Pipeline.ZooPath(file));
        Assert.StartsWith("# yaml-language-server: $schema=../cnn.schema.json", text);
        var errors = Validate(text);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    /// <summary>Every layer and key added for networks after 2018, where a file would use them, and a name with '-'.</summary>
    [Fact]
    public void A_file_with_every_modern_construct_validates()
    {
        const string yaml = """
            name: Modern
            input: [8, 16, 16]
            args: { rate: 0.2 }
            blocks:
              se(squeeze, channels = in):
                gate:
                  avgpool: adaptive_avgpool(1)
                  fc1: conv(squeeze, k=1)
                  activation: silu
                  fc2: conv(channels, k=1)
                  scale_activation: hardsigmoid
              unit():
                split:
                  - identity
                  - branch2: [conv(in, k=1, bias=false), bn, relu, dwconv(k=3, p=1), bn]
                shuffle: channel_shuffle(2)
              cn_block(index):
                residual:
                  body:
                    block: [dwconv(k=7, p=3), permute(0, 2, 3, 1), layernorm(eps=1e-6), linear(4 * in), gelu, linear(in // 4), permute(0, 3, 1, 2)]
                    layer_scale: layer_scale(1e-6)
                    stochastic_depth: stochastic_depth(rate * index / 3)
            layers:
              stem: [conv(8, k=3, p=1), bn, hardswish, swish, leaky_relu(0.1)]
              se: se(2)
              stage: [2x unit]
              trunk:
                block1: 2x cn_block(i) as block1-{i}
              gated:
                gate: [adaptive_avgpool(1), conv(8, k=1), hardsigmoid]
              head: [gap, layernorm, linear(10)]
            """;
        Assert.False(Pipeline.Compile(yaml).HasErrors, string.Join("\n", Pipeline.Compile(yaml).Problems));
        var errors = Validate(yaml);
        Assert.True(errors.Count == 0, string.Join("\n", errors));
    }

    [Theory]
    [InlineData("unknown top-level key", "name: A\ninput: [3, 8, 8]\npublisehd: { params: 1 }\nlayers: { a: relu }\n", "publisehd")]
    [InlineData("input with two numbers", "name: A\ninput: [3, 8]\nlayers: { a: relu }\n", "input")]
    [InlineData("published count not an integer", "name: A\ninput: [3, 8, 8]\npublished: { params: many }\nlayers: { a: relu }\n", "params")]
    [InlineData("variant without params", "input: [3, 8, 8]\nvariants: { A: { args: { w: 1 } } }\nlayers: { a: relu }\n", "params")]
    [InlineData("unknown residual key", "name: A\ninput: [3, 8, 8]\nlayers:\n  b:\n    residual: { body: [relu], shortcuts: auto }\n", "shortcuts")]
    [InlineData("missing layers", "name: A\ninput: [3, 8, 8]\n", "layers")]
    [InlineData("split with one part", "name: A\ninput: [8, 8, 8]\nlayers:\n  u:\n    split: [identity]\n", "split")]
    [InlineData("split not a list", "name: A\ninput: [8, 8, 8]\nlayers:\n  u:\n    split: identity\n", "split")]
    public void Wrong_files_are_rejected(string what, string yaml, string fact)
    {
        var errors = Validate(yaml);
        Assert.True(errors.Count > 0, $"{what}: accepted");
        Assert.Contains(fact, string.Join("\n", errors.Select(e => e.ToString())));
    }
}
