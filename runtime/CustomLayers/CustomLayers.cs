using System;
using System.Linq;
using TorchSharp;

namespace CnnGen.Runtime;

/// <summary>What a generated network calls for a layer written in C# (<see cref="CnnLayerAttribute"/>).</summary>
public static class CustomLayers
{
    /// <summary>
    /// Returns <paramref name="module"/> after checking that its real parameter count (every parameter it
    /// registers, trainable or not) is the one its attribute declares (and the generator counted); throws an <see cref="InvalidOperationException"/>
    /// that names the type and both counts otherwise, so a wrong rule never goes into the layer table quietly.
    /// </summary>
    public static T CheckParameterCount<T>(T module, string type, long declared, string path) where T : torch.nn.Module
    {
        if (module is null) throw new ArgumentNullException(nameof(module));
        var actual = module.parameters().Sum(parameter => parameter.numel());
        if (actual == declared) return module;
        module.Dispose();
        throw new InvalidOperationException(
            $"The custom layer {type} at '{path}' has {actual:N0} parameters but its [CnnLayer] attribute declares {declared:N0} ({actual - declared:+#,0;-#,0}); correct the attribute's Parameters rule or the module.");
    }

    /// <summary>
    /// The module's forward, always as a tensor of its own: the generated forward frees a layer's input after its
    /// last use, so a module that returns its input unchanged (an identity in eval mode, say) gets a new handle on it.
    /// </summary>
    public static torch.Tensor Forward(torch.nn.Module<torch.Tensor, torch.Tensor> module, torch.Tensor x)
    {
        var y = module.forward(x);
        return ReferenceEquals(y, x) ? y.alias() : y;
    }
}
