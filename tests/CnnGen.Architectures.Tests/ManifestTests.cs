using System.Text.Json;

namespace CnnGen.Architectures.Tests;

/// <summary>
/// Parameter and buffer names and shapes of each generated network equal torchvision's state dict,
/// so published weights load by name. The manifests come from Debian's torchvision
/// (tests/fixtures/torchvision/make_manifests.py).
/// </summary>
public class ManifestTests
{
    private sealed record Entry(string Name, long[] Shape);

    private static List<Entry> LoadManifest(string key, string source = "torchvision")
    {
        var path = Path.Combine(AppContext.BaseDirectory, "fixtures", source, "manifests", key + ".json");
        using var document = JsonDocument.Parse(File.ReadAllText(path));
        return document.RootElement.GetProperty("state_dict").EnumerateArray()
            .Select(entry => new Entry(entry.GetProperty("name").GetString()!, entry.GetProperty("shape").EnumerateArray().Select(d => d.GetInt64()).ToArray()))
            .ToList();
    }

    [Theory]
    [MemberData(nameof(Zoo.TorchvisionNames), MemberType = typeof(Zoo))]
    public void State_dict_names_and_shapes_equal_torchvision(string name) => AssertSameStateDict(name, LoadManifest(Zoo.TorchvisionKey[name]!));

    /// <summary>timm's (or osmr's) names where torchvision lacks the network; see tests/fixtures/timm.</summary>
    [Theory]
    [MemberData(nameof(Zoo.TimmNames), MemberType = typeof(Zoo))]
    public void State_dict_names_and_shapes_equal_the_timm_layout(string name) => AssertSameStateDict(name, LoadManifest(Zoo.TimmKey[name], "timm"));

    private static void AssertSameStateDict(string name, List<Entry> expected)
    {
        using var model = Zoo.Get(name).CreateModule();
        var actual = model.named_parameters().Select(p => new Entry(p.name, p.parameter.shape))
            .Concat(model.named_buffers().Select(b => new Entry(b.name, b.buffer.shape)))
            .ToList();

        static string Describe(IEnumerable<Entry> entries) => string.Join(", ", entries.Take(5).Select(e => $"{e.Name} [{string.Join(",", e.Shape)}]"));
        var expectedSet = expected.ToDictionary(e => e.Name, e => string.Join(",", e.Shape));
        var actualSet = actual.ToDictionary(e => e.Name, e => string.Join(",", e.Shape));
        var missing = expected.Where(e => !actualSet.ContainsKey(e.Name)).ToList();
        var unexpected = actual.Where(e => !expectedSet.ContainsKey(e.Name)).ToList();
        var wrongShape = expected.Where(e => actualSet.TryGetValue(e.Name, out var shape) && shape != string.Join(",", e.Shape)).ToList();
        Assert.True(missing.Count == 0 && unexpected.Count == 0 && wrongShape.Count == 0,
            $"{missing.Count} missing: {Describe(missing)}; {unexpected.Count} unexpected: {Describe(unexpected)}; {wrongShape.Count} with other shapes: {Describe(wrongShape)}");
        Assert.Equal(expected.Count, actual.Count);
    }

    [Theory]
    [MemberData(nameof(Zoo.TorchvisionOrderedNames), MemberType = typeof(Zoo))]
    public void Parameters_come_in_torchvision_order(string name)
    {
        var expected = LoadManifest(Zoo.TorchvisionKey[name]!).Select(e => e.Name).ToList();
        using var model = Zoo.Get(name).CreateModule();
        var parameters = model.named_parameters().Select(p => p.name).ToList();
        Assert.Equal(expected.Where(parameters.Contains).ToList(), parameters);
    }
}
