using System.Globalization;
using CnnGen.Generator;
using CnnGen.Generator.Analysis;
using CnnGen.Generator.Layers;
using CnnGen.Runtime.Weights;
using Spectre.Console;
using static TorchSharp.torch;

namespace CnnGen.Tool;

/// <summary>
/// <c>cnngen weights check</c>: whether a weight file fits a network, from the file's index and the generator's
/// analysis alone (no network is built, no tensor is read), with the report <c>LoadWeights</c> would give: the
/// expected tensors are the analysis's <see cref="NetworkModel.StateDict"/>, the matching is the runtime's own
/// (<see cref="WeightsCompatibility.Check"/>). Exit code 0 when a strict load with the options would succeed,
/// 1 when it would throw, 2 for a usage error or a file that cannot be read as weights.
/// </summary>
public static class WeightsCheck
{
    public static int Run(IReadOnlyList<string> words, IAnsiConsole? console = null, TextWriter? error = null)
    {
        console ??= AnsiConsole.Console;
        error ??= Console.Error;
        var request = WeightsCheckRequest.Parse(words, out var problem);
        if (request is null) return Fail(error, $"cnngen weights check: {problem}\nusage: {WeightsCheckRequest.Usage}");
        foreach (var path in new[] { request.NetworkPath, request.WeightsPath })
            if (!File.Exists(path)) return Fail(error, $"{path}: no such file");

        var model = Analyse(request, error);
        if (model is null) return 2;
        // A --new-head or --adapt-stem the network cannot honour is the user's mistake, said in the tool's terms.
        if (request.NewHead && model.HeadPath is null)
            return Fail(error, $"--new-head: {model.ClassName} in {request.NetworkPath} names no 'head:', so no head is known to replace");
        if (request.AdaptStem && model.StemConvPath is null)
            return Fail(error, $"--adapt-stem: {model.ClassName} in {request.NetworkPath} has no convolution to adapt");

        var options = new WeightsOptions { NewHead = request.NewHead, DropAuxHeads = !request.KeepAux, AdaptStem = request.AdaptStem };
        LoadReport report;
        try
        {
            report = WeightsCompatibility.Check(request.WeightsPath, model.StateDict.Tensors.Select(ToExpected).ToList(), options,
                model.HeadPath, model.StemConvPath, model.DeclaredAuxHeads.Select(head => head + ".").ToList(), model.StateDict.UncheckedPrefixes);
        }
        catch (IOException exception)
        {
            // SafetensorsFormatException and CheckpointFormatException name the file and what is wrong with it.
            return Fail(error, OneLine(exception.Message.Contains(request.WeightsPath, StringComparison.Ordinal)
                ? exception.Message : $"{request.WeightsPath}: {exception.Message}"));
        }
        catch (UnauthorizedAccessException exception)
        {
            return Fail(error, $"{request.WeightsPath}: {OneLine(exception.Message)}");
        }
        CompatibilityTable.Write(console, request.WeightsPath, model, report);
        return report.HasProblems ? 1 : 0;
    }

    /// <summary>What the file is matched against. The counter is int64 as PyTorch writes it; a load converts any integer or float counter.</summary>
    private static ExpectedTensor ToExpected(StateTensor tensor) =>
        new(tensor.Name, tensor.Shape, tensor.Kind == StateTensorKind.Counter ? ScalarType.Int64 : ScalarType.Float32);

    /// <summary>The class asked for, analysed with the model arguments given; null (after saying why) when there is none.</summary>
    internal static NetworkModel? Analyse(WeightsCheckRequest request, TextWriter error)
    {
        var path = Path.GetFullPath(request.NetworkPath);
        var text = File.ReadAllText(path);
        var layers = ProjectLayers.Find(path);
        var model = Select(CompileNetwork.Run(path, text, "CnnGen.Networks", layers), request, error);
        if (model is null || request.Arguments.Count == 0) return model;
        foreach (var (name, value) in request.Arguments)
        {
            var argument = model.Arguments.FirstOrDefault(candidate => candidate.YamlName == name);
            if (argument is null)
            {
                var known = model.Arguments.Count == 0 ? "it has none" : "its arguments are " + string.Join(", ", model.Arguments.Select(a => a.YamlName));
                Fail(error, $"--arg {name}: {model.ClassName} has no model argument '{name}' ({known})");
                return null;
            }
            if (!Fits(argument.CSharpType, value))
            {
                Fail(error, $"--arg {name}={value}: {model.ClassName}'s {name} is {argument.CSharpType} (default {argument.Default})");
                return null;
            }
        }
        return Select(CompileNetwork.Run(path, text, "CnnGen.Networks", layers, request.Arguments), request, error);
    }

    private static NetworkModel? Select(CompileResult result, WeightsCheckRequest request, TextWriter error)
    {
        if (result.HasErrors)
        {
            foreach (var problem in result.Problems) error.WriteLine(Commands.Format(request.NetworkPath, problem));
            var with = request.Arguments.Count == 0 ? "" : " with " + string.Join(" ", request.Arguments.Select(pair => $"--arg {pair.Key}={pair.Value}"));
            Fail(error, $"{request.NetworkPath}{with}: the network has errors; fix them first (cnngen check)");
            return null;
        }
        var classes = string.Join(", ", result.Models.Select(model => model.ClassName));
        if (request.ClassName is null)
        {
            if (result.Models.Count == 1) return result.Models[0];
            Fail(error, $"{request.NetworkPath} has {result.Models.Count} classes ({classes}); choose one with --class");
            return null;
        }
        var chosen = result.Models.FirstOrDefault(model => model.ClassName == request.ClassName);
        if (chosen is null) Fail(error, $"{request.NetworkPath} has no class {request.ClassName} (it has {classes})");
        return chosen;
    }

    /// <summary>A value of the argument's C# type, as the constructor would take it.</summary>
    private static bool Fits(string type, string value) => type switch
    {
        "int" => long.TryParse(value, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out _),
        "double" => double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _),
        "bool" => value is "true" or "false",
        _ => false,
    };

    private static string OneLine(string message) => message.ReplaceLineEndings(" ");

    private static int Fail(TextWriter error, string message)
    {
        error.WriteLine(message);
        return 2;
    }
}
