namespace CnnGen.Runtime;

/// <summary>Implemented by every generated network: what tools and tests need without knowing the class.</summary>
public interface IGeneratedNetwork
{
    /// <summary>Turns the network into its inference form in place (see the generated <c>ToInference()</c>).</summary>
    void ConvertToInference();
}
