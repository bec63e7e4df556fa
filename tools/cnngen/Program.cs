// cnngen: the generator's analysis on the command line.
//   cnngen summary <file.cnn.yaml> [--depth N]
//                                    layer table as a tree (groups with their totals, indented; --depth N shows N levels,
//                                    default all), type, output shape, parameters, MACs, totals, published number;
//                                    with errors, the layers analysed before them and then the errors
//   cnngen check <file...>           the build's diagnostics, same format; exit code 1 on any error
//   cnngen diagram <file> [-o net.svg] [--class Name]   a compact SVG picture of the network
//   cnngen zoo [folder]              one row per class of every *.cnn.yaml in the folder (default ./architectures)
//   cnngen explain CNN0011           the help page of a diagnostic (embedded in the tool)
using CnnGen.Tool;

string? Option(string name) => args.SkipWhile(a => a != name).Skip(1).FirstOrDefault();

return args.FirstOrDefault() switch
{
    "summary" when args.Length == 2 => Commands.Summary(args[1]),
    "summary" when args.Length == 4 && args[2] == "--depth" && int.TryParse(args[3], out var depth) && depth >= 1 => Commands.Summary(args[1], depth),
    "check" when args.Length >= 2 => Commands.Check(args.Skip(1).ToArray()),
    "explain" when args.Length == 2 => Commands.Explain(args[1]),
    "zoo" => Commands.Zoo(args.Length > 1 ? args[1] : "architectures"),
    "diagram" when args.Length >= 2 => Commands.Diagram(args[1], Option("-o") ?? Path.ChangeExtension(Path.GetFileName(args[1]), null).Replace(".cnn", "") + ".svg", Option("--class")),
    _ => Commands.Usage(),
};
