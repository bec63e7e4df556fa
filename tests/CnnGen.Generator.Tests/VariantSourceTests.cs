namespace CnnGen.Generator.Tests;

/// <summary>
/// A variant's published count has its own source ('source:' in the variant), so the zoo row of
/// InceptionV3Aux no longer says "(aux_logits=False)", the source of its sibling's number.
/// </summary>
public class VariantSourceTests
{
    [Theory]
    [InlineData("inception_v3.cnn.yaml", "InceptionV3", "torchvision inception_v3 (aux_logits=False)")]
    [InlineData("inception_v3.cnn.yaml", "InceptionV3Aux", "torchvision inception_v3 (aux_logits=True)")]
    [InlineData("googlenet.cnn.yaml", "GoogLeNetAux", "torchvision googlenet (aux_logits=True)")]
    [InlineData("densenet.cnn.yaml", "DenseNet169", "torchvision densenet169")]
    public void Each_variant_reports_its_own_source(string file, string className, string source)
    {
        var result = Pipeline.CompileZoo(file);
        Assert.False(result.HasErrors);
        Assert.Equal(source, result.Models.Single(model => model.ClassName == className).PublishedSource);
    }

    [Fact]
    public void A_variant_without_a_source_takes_the_files_and_a_wrong_count_names_the_variants()
    {
        var result = Pipeline.Compile("published: { source: the file }\ninput: [3, 8, 8]\nlayers:\n  f: flatten\n  fc: linear(2)\n" +
            "variants:\n  A: { params: 386 }\n  B: { params: 1, source: the paper }\n");
        Assert.Equal("the file", result.Models.Single(model => model.ClassName == "A").PublishedSource);
        Assert.Contains("(the paper)", Assert.Single(result.Problems, problem => problem.Id == "CNN0011").Message);
    }
}
