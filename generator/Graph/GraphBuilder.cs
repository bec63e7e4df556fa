using System;
using System.Linq;
using CnnGen.Generator.Analysis;
using CnnGen.Generator.Layers;
using CnnGen.Generator.Model;

namespace CnnGen.Generator.Graph;

/// <summary>
/// Reads the graph off a finished analysis: one node per forward step, with the step's operation, shape, counts,
/// tensors, site and blocks. Only for a network without errors (every step then has its operation and shape).
/// </summary>
public static class GraphBuilder
{
    public static NetworkGraph Build(NetworkModel model)
    {
        if (model.Output is null || model.OutputVar is null) throw new InvalidOperationException($"{model.ClassName} has no output; a graph is built only for a network without errors");
        var nodes = model.Steps.Select(step => Node(model, step)).ToEquatableArray();
        return new NetworkGraph(
            model.ClassName,
            model.SourcePath,
            model.Arguments.Select(argument => new GraphArgument(argument.YamlName, argument.CSharpName, argument.CSharpType, argument.Default.ToString())).ToEquatableArray(),
            model.DerivedValues.Select(derived => new DerivedSize(derived.Name, derived.Definition)).ToEquatableArray(),
            Of(model.Input),
            nodes,
            model.OutputVar.Id,
            Of(model.Output),
            model.AuxOutputs.Select(aux => new GraphOutput(aux.Name, aux.TappedAt, aux.Var.Id, Of(aux.Shape)) { InEval = model.AuxInEval }).ToEquatableArray(),
            model.ParameterCount,
            model.Macs,
            model.PublishedParameters,
            model.PublishedSource,
            model.Head is { } head ? new GraphHead(head.Path, head.Start, head.Clean) : null)
        {
            Outputs = model.NamedOutputs.Select(output => new GraphNamedOutput(output.Name, output.Var.Id, Of(output.Shape))).ToEquatableArray(),
            StateDictOrder = model.StateDict.Tensors.Select(tensor => tensor.Name).ToEquatableArray(),
        };
    }

    private static GraphNode Node(NetworkModel model, ForwardStep step)
    {
        var operation = step.Operation ?? throw new InvalidOperationException($"{model.ClassName}: the step '{step.Comment}' has no graph operation");
        var shape = step.OutputShape ?? throw new InvalidOperationException($"{model.ClassName}: the step '{step.Comment}' has no shape");
        return new GraphNode(
            operation,
            step.Inputs.Select(input => input.Id).ToEquatableArray(),
            step.Output.Id,
            Of(shape),
            step.Row?.Parameters ?? 0,
            step.Row?.Macs ?? 0,
            step.Path,
            step.Field is not null,
            (step.Tensors ?? Array.Empty<StateTensor>()).Select(tensor => new GraphTensor(tensor.Name, tensor.Shape.ToEquatableArray(), tensor.Kind)).ToEquatableArray(),
            step.Tensors is null,
            step.Site,
            step.Blocks.Select(frame => new BlockFrame(frame.Name, frame.Path)).ToEquatableArray(),
            step.Aux,
            step.Row is { } row ? new GraphRow(row.Path, row.Type, row.Detail) : null)
        {
            Name = model.OutputNames.TryGetValue(step.Output, out var name) ? name : null,
        };
    }

    private static TensorShape Of(Shape shape) => new(shape.Dims.Select(Dim.Of).ToEquatableArray(), shape.ChannelsLast);
}
