namespace CnnGen.Runtime;

/// <summary>
/// One feature map a generated network's <c>ForwardFeatureMaps</c> returns (timm's <c>feature_info</c>), known
/// at compile time: the last output at one reduction level before the head.
/// </summary>
/// <param name="Name">The module path whose output it is (<c>layer1</c>, <c>features.3</c>, <c>Mixed_5d</c>).</param>
/// <param name="Channels">Its channels with the default arguments.</param>
/// <param name="Reduction">Input pixels per feature-map pixel along the height (2, 4, 8, 16, 32), rounded to a power of two.</param>
/// <param name="Shape">Its shape (channels, height, width) for the declared input size.</param>
public sealed record FeatureInfo(string Name, long Channels, int Reduction, long[] Shape);
