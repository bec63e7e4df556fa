using System.Collections.Generic;

namespace CnnGen.Runtime;

/// <summary>Implemented by every generated network: what tools and tests need without knowing the class.</summary>
public interface IGeneratedNetwork
{
    /// <summary>Turns the network into its inference form in place (see the generated <c>ToInference()</c>).</summary>
    void ConvertToInference();

    /// <summary>
    /// The module path of the classifier head, from <c>head:</c> in the YAML (<c>fc</c>, <c>classifier.6</c>);
    /// null when the file names none. <c>WeightsOptions.NewHead</c> leaves this module's tensors initialised.
    /// </summary>
    string? HeadPath { get; }

    /// <summary>The module path of the network's first convolution (<c>conv1</c>, <c>features.0.0</c>); null when it has none.</summary>
    string? StemConvPath { get; }

    /// <summary>
    /// State-dict prefixes (<c>aux1.</c>, <c>AuxLogits.</c>) of every auxiliary head the YAML declares, also
    /// those this class leaves out, so a file written with aux heads can be recognised as such.
    /// </summary>
    IReadOnlyList<string> AuxHeadPrefixes { get; }

    /// <summary>
    /// The network as a graph of operations, with the sizes this instance was built with (docs/graph-json.md):
    /// what exporters read. The class's static <c>Graph</c> is the same at the default arguments.
    /// </summary>
    NetworkGraph GetGraph();

    /// <summary>
    /// The network is in its inference form (<c>ToInference()</c>): its batch norms are folded into the convolutions'
    /// weights, so the graph no longer describes its modules one to one (an export refuses it).
    /// </summary>
    bool InInferenceForm { get; }
}
