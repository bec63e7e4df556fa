// The zoo sample: every network of the zoo with the facts the generator worked out at compile time,
// then each one built and run once on a random batch. Needs no downloads.
//
//   dotnet run --project samples/Zoo            all networks
//   dotnet run --project samples/Zoo -- ResNet50 --summary    one network and its layer table
using System.Diagnostics;
using System.Globalization;
using CnnGen.Architectures;
using static TorchSharp.torch;

var filter = args.Where(a => !a.StartsWith("--")).ToHashSet(StringComparer.OrdinalIgnoreCase);
var showSummary = args.Contains("--summary");
var networks = NetworkCatalog.All.Where(n => filter.Count == 0 || filter.Contains(n.Name)).ToList();
if (networks.Count == 0)
{
    Console.Error.WriteLine($"No network named {string.Join(", ", filter)}. The zoo has: {string.Join(", ", NetworkCatalog.All.Select(n => n.Name))}");
    return 1;
}

static string Shape(long[] shape) => string.Join("x", shape);
static string Count(long value) => value.ToString("N0", CultureInfo.InvariantCulture);

var nameWidth = networks.Max(n => n.Name.Length);
var shapeWidth = networks.Max(n => Math.Max(Shape(n.InputShape).Length, Shape(n.OutputShape).Length));
var header = $"{"Network".PadRight(nameWidth)} {"Input".PadRight(shapeWidth)} {"Output".PadRight(shapeWidth)} {"Parameters",13} {"Published",13}  {"GMACs",6}  {"Forward",8}  {"Source"}";
Console.WriteLine(header);
Console.WriteLine(new string('-', header.Length + 24));
var failures = 0;
foreach (var network in networks)
{
    string forward;
    try
    {
        using var model = network.Create();
        model.eval();
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = randn(new[] { 1L }.Concat(network.InputShape).ToArray());
        var clock = Stopwatch.StartNew();
        var output = model.forward(input);
        clock.Stop();
        var ok = output.shape.SequenceEqual(new[] { 1L }.Concat(network.OutputShape));
        forward = ok ? $"{clock.Elapsed.TotalMilliseconds,6:F0}ms" : "WRONG";
        if (!ok) failures++;
    }
    catch (Exception error)
    {
        forward = "FAILED";
        failures++;
        Console.Error.WriteLine($"{network.Name}: {error.Message.Split('\n')[0]}");
    }
    var published = network.PublishedParameterCount is { } p ? Count(p) : "-";
    var mark = network.PublishedParameterCount == network.ParameterCount ? "=" : " ";
    Console.WriteLine($"{network.Name.PadRight(nameWidth)} {Shape(network.InputShape).PadRight(shapeWidth)} {Shape(network.OutputShape).PadRight(shapeWidth)} {Count(network.ParameterCount),13} {mark}{published,12}  {network.MultiplyAccumulates / 1e9,6:F2}  {forward,8}  {network.PublishedSource}");
    if (showSummary)
        Console.WriteLine(CnnGen.Runtime.LayerInfo.Format(network.Name, network.Layers, network.ParameterCount, network.MultiplyAccumulates));
}
Console.WriteLine();
Console.WriteLine($"{networks.Count} networks; parameter counts checked against the published numbers at compile time; {failures} forward failures.");
return failures == 0 ? 0 : 1;
