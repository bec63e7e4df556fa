using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using CnnGen.Generator.Analysis;
using CnnGen.Generator.Expressions;

namespace CnnGen.Generator.Emit;

/// <summary>
/// Multi-scale features (timm's <c>features_only</c>, torchvision's <c>create_feature_extractor</c>): the
/// compile-time <c>FeatureInfo</c> of every tap (<see cref="FeatureTaps"/>), a flags enum to ask for some, and
/// <c>ForwardFeatureMaps</c>, which runs the forward's trunk (<see cref="ForwardEmitter.WriteStepped"/>) only as far
/// as the last one asked for and returns them as a typed record. Taps are never overwritten in place; those not asked
/// for are freed at their last use.
/// </summary>
internal static class FeatureMapsEmitter
{
    private static readonly HashSet<string> RecordMembers = new() { "Dispose", "ToList", "Equals", "GetHashCode", "ToString", "EqualityContract", "Deconstruct", "GetType", "None", "All", "FeatureMaps" };

    public static void Write(SourceWriter writer, NetworkModel model, ForwardEmitter.Layout layout)
    {
        var taps = layout.Taps;
        if (taps.Count == 0) return;
        var names = MemberNames(taps);
        var input = string.Join("x", model.Input.Concrete.Select(d => d.ToString(CultureInfo.InvariantCulture)));

        writer.Line();
        writer.Line($"/// <summary>The feature maps <c>ForwardFeatureMaps</c> returns, in forward order: module path, channels, reduction (input pixels per pixel) and shape for a {input} input (timm's <c>feature_info</c>).</summary>");
        writer.Line("public static IReadOnlyList<global::CnnGen.Runtime.FeatureInfo> FeatureInfo { get; } = new global::CnnGen.Runtime.FeatureInfo[]");
        writer.Line("{");
        writer.Indent();
        foreach (var tap in taps)
            writer.Line($"new({Value.Of(tap.Name).ToCSharp()}, {tap.Shape.Channels.Int}, {tap.Reduction}, new long[] {{ {string.Join(", ", tap.Shape.Concrete)} }}),");
        writer.Outdent();
        writer.Line("};");
        writer.Line();

        writer.Line("/// <summary>Which feature maps <c>ForwardFeatureMaps</c> returns; combine with <c>|</c>.</summary>");
        writer.Line("[System.Flags]");
        writer.Open("public enum FeatureStage");
        writer.Line("None = 0,");
        for (var i = 0; i < taps.Count; i++)
        {
            writer.Line($"/// <summary>'{taps[i].Name}': {taps[i].Shape}, reduction {taps[i].Reduction}.</summary>");
            writer.Line($"{names[i]} = {1L << i},");
        }
        writer.Line($"All = {(1L << taps.Count) - 1},");
        writer.Close();
        writer.Line();

        writer.Line("/// <summary>The feature maps of one <c>ForwardFeatureMaps</c> call; those not asked for are null. Disposing it disposes them.</summary>");
        for (var i = 0; i < taps.Count; i++)
            writer.Line($"/// <param name=\"{names[i]}\">'{taps[i].Name}', {taps[i].Shape} per sample for a {input} input.</param>");
        writer.Open($"public sealed record FeatureMaps({string.Join(", ", names.Select(name => $"Tensor? {name}"))}) : System.IDisposable");
        writer.Line("/// <summary>The maps asked for, in forward order (shallowest first), as a feature pyramid takes them.</summary>");
        writer.Open("public IReadOnlyList<Tensor> ToList()");
        writer.Line("var maps = new List<Tensor>();");
        foreach (var name in names) writer.Line($"if ({name} is not null) maps.Add({name});");
        writer.Line("return maps;");
        writer.Close();
        writer.Line();
        writer.Open("public void Dispose()");
        foreach (var name in names) writer.Line($"{name}?.Dispose();");
        writer.Close();
        writer.Close();
        writer.Line();

        WriteMethod(writer, model, layout, names);
    }

    /// <summary>The flags of the taps, <c>FeatureStage.Layer1</c> ..., in order.</summary>
    public static IReadOnlyList<string> Flags(IReadOnlyList<FeatureTap> taps) => MemberNames(taps).Select(name => "FeatureStage." + name).ToList();

    private static void WriteMethod(SourceWriter writer, NetworkModel model, ForwardEmitter.Layout layout, IReadOnlyList<string> names)
    {
        writer.Line("/// <summary>");
        writer.Line("/// The feature maps asked for (default all), from one forward that stops after the last of them (eval semantics as");
        writer.Line("/// <c>forward</c>; aux heads are not run). The caller owns the returned tensors: dispose the record.");
        writer.Line("/// </summary>");
        writer.Line("/// <exception cref=\"System.ArgumentOutOfRangeException\"><paramref name=\"stages\"/> holds a bit no stage has.</exception>");
        writer.Open("public FeatureMaps ForwardFeatureMaps(Tensor input, FeatureStage stages = FeatureStage.All)");
        writer.Line("if ((stages & ~FeatureStage.All) != 0) throw new System.ArgumentOutOfRangeException(nameof(stages), stages, \"Not a combination of this network's feature stages.\");");
        writer.Line("CheckInput(input);");
        InferenceFolding.WriteForwardPrologue(writer);
        writer.Line($"var maps = new Tensor?[{names.Count}];");
        writer.Line($"TrunkSteps(input{ForwardEmitter.TrunkArguments(model, layout, "null", "maps")});");
        writer.Line($"return new FeatureMaps({string.Join(", ", names.Select((_, i) => $"maps[{i}]"))});");
        writer.Close();
    }

    /// <summary>C# names for the taps: <c>layer1</c> -> <c>Layer1</c>, unique, clear of the record's own members.</summary>
    private static IReadOnlyList<string> MemberNames(IReadOnlyList<FeatureTap> taps)
    {
        var taken = new HashSet<string>(RecordMembers);
        var names = new List<string>();
        foreach (var tap in taps)
        {
            var name = Identifiers.Pascal(tap.Name);
            var unique = name;
            for (var n = 2; !taken.Add(unique); n++) unique = name + "_" + n;
            names.Add(unique);
        }
        return names;
    }
}
