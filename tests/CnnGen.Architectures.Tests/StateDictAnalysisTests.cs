namespace CnnGen.Architectures.Tests;

/// <summary>
/// The state dict the analysis lists for each class (<see cref="CnnGen.Generator.Analysis.NetworkModel.StateDict"/>,
/// from the layers' own declarations) is the one the generated class registers: names, shapes, parameter or
/// buffer, in TorchSharp's state_dict() order. <c>cnngen weights check</c> matches files against that list, so a
/// tensor a layer kind forgets, misshapes or misplaces would make the check disagree with LoadWeights.
/// </summary>
public class StateDictAnalysisTests
{
    [Theory]
    [MemberData(nameof(Zoo.Names), MemberType = typeof(Zoo))]
    public void The_analysis_lists_the_state_dict_the_built_class_has_in_order(string name)
    {
        var analysed = AnalysedZoo.Get(name).StateDict;
        using var model = Zoo.Get(name).CreateModule();
        var parameters = model.named_parameters().Select(pair => pair.name).ToHashSet(StringComparer.Ordinal);

        var expected = analysed.Tensors.Select(tensor => Describe(tensor.Name, tensor.Shape, tensor.IsBuffer)).ToList();
        var actual = model.state_dict().Select(pair => Describe(pair.Key, pair.Value.shape, !parameters.Contains(pair.Key))).ToList();

        Assert.Equal(actual, expected);
        Assert.Empty(analysed.UncheckedPrefixes);
    }

    private static string Describe(string key, IEnumerable<long> shape, bool isBuffer) =>
        $"{key} [{string.Join(",", shape)}]{(isBuffer ? " buffer" : "")}";
}
