// cnngen: the generator's analysis on the command line.
//   cnngen summary <file.cnn.yaml> [--depth N]
//                                    layer table as a tree (groups with their totals, indented; --depth N shows N levels,
//                                    default all), type, output shape, parameters, MACs, totals, published number;
//                                    with errors, the layers analysed before them and then the errors
//   cnngen check <file...>           the build's diagnostics, same format; exit code 1 on any error
//   cnngen diagram <file> [-o net.svg] [--class Name]   a compact SVG picture of the network
//   cnngen zoo [folder]              one row per class of every *.cnn.yaml in the folder (default ./architectures)
//   cnngen explain CNN0011           the help page of a diagnostic (embedded in the tool)
//   cnngen generated <file> [--namespace N] [--class Name]   the C# the build generates for the file
//   cnngen graph <file> [--json] [--class Name]   the analysed network as a graph of operations, in the JSON form of
//                                    docs/graph-json.md (values, nodes with their attributes, shapes, counts, state-dict
//                                    tensors, YAML sites and blocks); exit code 1 with the diagnostics when the file has errors
//   cnngen export <file> --onnx out.onnx --weights w.safetensors [--class Name] [--arg name=value]...
//                                    the network with the file's weights as an ONNX model (opset 17, eval semantics), written
//                                    from the same graph the build writes into the class; no libtorch. Exit code 1 (nothing
//                                    written) for a tensor that is missing or of another shape, or a layer with no ONNX form
//   cnngen export <file> --pytorch out.py [--class Name] [--arg name=value]...
//                                    a readable PyTorch module written from the same graph (docs/pytorch-export.md): torchvision's
//                                    state-dict names, model arguments as constructor arguments, blocks as classes, aux heads and
//                                    variants (every class of the file without --class); a YAML name Python could misread is an
//                                    error CNNPT02 and nothing is written, a layer with no PyTorch form (C#) CNNPT01
//   cnngen weights check <net.cnn.yaml> <weights file> [--class Name] [--arg name=value]... [--new-head] [--keep-aux] [--adapt-stem]
//                                    whether a safetensors or PyTorch checkpoint (zip or legacy, wrapped or 'module.'-prefixed)
//                                    fits the network, from the file's index alone (no tensor data is read): every missing,
//                                    unexpected, wrong-shaped or unconvertible key, what --new-head skips, the aux-head keys
//                                    dropped (--keep-aux makes them unexpected), the stem --adapt-stem adapts, the loadable
//                                    count; exit code 0 when a strict LoadWeights with those options would succeed, 1 when it
//                                    would throw, 2 for a usage error or a missing, unreadable or hostile file.
//                                    --arg sets a model argument: --arg num_classes=10 --new-head asks whether a 1000-class
//                                    file fine-tunes a 10-class network
using CnnGen.Tool;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

return args.FirstOrDefault() switch
{
    "summary" when args.Length == 2 => Commands.Summary(args[1]),
    "summary" when args.Length == 4 && args[2] == "--depth" && int.TryParse(args[3], out var depth) && depth >= 1 => Commands.Summary(args[1], depth),
    "check" when args.Length >= 2 => Commands.Check(args.Skip(1).ToArray()),
    "explain" when args.Length == 2 => Commands.Explain(args[1]),
    "zoo" => Commands.Zoo(args.Length > 1 ? args[1] : "architectures"),
    "weights" when args.Length >= 2 && args[1] == "check" => WeightsCheck.Run(args.Skip(2).ToArray()),
    "generated" when args.Length >= 2 => Commands.Generated(args[1], Option("--namespace") ?? "CnnGen.Networks", Option("--class")),
    "graph" when args.Length >= 2 => Commands.Graph(args[1], Option("--class")),
    "export" when args.Length >= 2 => ExportCommand.Run(args.Skip(1).ToArray(), Console.Out, Console.Error),
    "diagram" when args.Length >= 2 => Commands.Diagram(args[1], Option("-o") ?? Path.ChangeExtension(Path.GetFileName(args[1]), null).Replace(".cnn", "") + ".svg", Option("--class")),
    _ => Commands.Usage(),
};
