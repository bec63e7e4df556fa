// Classify: load weights into a generated network by name and print the top-5 classes of an image.
//
//   dotnet run --project samples/Classify -- --network ResNet18 --weights weights.safetensors --input io.safetensors
//
// --weights: a state dict with torchvision's names: safetensors (for example written by
//            tests/fixtures/torchvision/make_reference.py) or a torch.save checkpoint (.pth/.pt, zip or
//            legacy format, as torchvision publishes them), told apart by content.
// --input:   a safetensors file with a tensor "input" of shape [N, C, H, W] (the first image is used),
//            already normalised as the network expects. --tensor picks another tensor name.
using CnnGen.Architectures;
using CnnGen.Runtime.Weights;
using static TorchSharp.torch;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();
var networkName = Option("--network");
var weightsPath = Option("--weights");
var inputPath = Option("--input");
var tensorName = Option("--tensor") ?? "input";
if (networkName is null || weightsPath is null || inputPath is null)
{
    Console.Error.WriteLine("usage: Classify --network <Name> --weights <state dict: .safetensors or torch.save .pth> --input <tensors.safetensors> [--tensor input]");
    Console.Error.WriteLine($"networks: {string.Join(", ", NetworkCatalog.All.Select(n => n.Name))}");
    return 1;
}
var network = NetworkCatalog.All.FirstOrDefault(n => string.Equals(n.Name, networkName, StringComparison.OrdinalIgnoreCase));
if (network is null)
{
    Console.Error.WriteLine($"No network '{networkName}'. The zoo has: {string.Join(", ", NetworkCatalog.All.Select(n => n.Name))}");
    return 1;
}

using var model = network.Create();
try
{
    var report = model.LoadWeights(weightsPath);
    Console.WriteLine($"{network.Name}: loaded {report.LoadedCount} tensors from {Path.GetFileName(weightsPath)}");
    // What the load left out on purpose (a torchvision GoogLeNet file's aux heads), by reason; report.SkippedKeys has every key.
    foreach (var reason in report.SkippedKeys.GroupBy(note => note.Reason))
        Console.WriteLine($"  skipped {reason.Count()} ({reason.Key}): {string.Join(", ", reason.Take(3).Select(note => note.Key))}{(reason.Count() > 3 ? ", ..." : "")}");
}
catch (WeightsLoadException mismatch)
{
    // Strict loading checks every name and shape before copying anything.
    Console.Error.WriteLine($"{Path.GetFileName(weightsPath)} does not fit {network.Name}; nothing was loaded.");
    Console.Error.WriteLine(mismatch.Report.DescribeProblems());
    return 2;
}
catch (SafetensorsFormatException broken)
{
    Console.Error.WriteLine($"{weightsPath} is not a valid safetensors file: {broken.Message}");
    return 2;
}
catch (CnnGen.Runtime.Weights.Checkpoints.CheckpointFormatException refused)
{
    // Damaged, not a weight file, or a pickle that does more than describe tensors: nothing was loaded.
    Console.Error.WriteLine(refused.Message);
    return 2;
}

model.eval();
using var scope = NewDisposeScope();
using var noGrad = no_grad();
using var inputs = SafetensorsFile.Open(inputPath);
if (!inputs.Contains(tensorName))
{
    Console.Error.WriteLine($"{inputPath} has no tensor '{tensorName}' (it has: {string.Join(", ", inputs.Entries.Select(e => e.Name))})");
    return 1;
}
var batch = inputs.ReadTensor(tensorName, ScalarType.Float32);
var image = batch.dim() == 4 ? batch[..1] : batch.unsqueeze(0);
Console.WriteLine($"image: {string.Join("x", image.shape.Skip(1))} from '{tensorName}' in {Path.GetFileName(inputPath)}");
var probabilities = model.forward(image).softmax(1)[0];
var (values, indices) = probabilities.topk(Math.Min(5, (int)probabilities.shape[0]));
Console.WriteLine("top-5:");
for (var i = 0; i < values.shape[0]; i++)
    Console.WriteLine($"  class {indices[i].item<long>(),4}   p = {values[i].item<float>():F4}");
if (inputs.Contains("output"))
{
    // Reference files from make_reference.py also hold the reference implementation's logits.
    var reference = inputs.ReadTensor("output", ScalarType.Float32)[0].softmax(0);
    Console.WriteLine($"reference top-1: class {reference.argmax().item<long>()}, max |p - p_reference| = {(probabilities - reference).abs().max().item<float>():E1}");
}
return 0;
