using System;
using TorchSharp;

namespace CnnGen.Runtime;

/// <summary>
/// A module that only holds named children, so generated networks get torchvision's state-dict
/// names (<c>layer1.0.conv1.weight</c>) without a class per block. It has no forward of its own:
/// the generated network's forward calls the leaves directly, which lets the generator free every
/// intermediate at its last use. A child may also be a <see cref="TorchSharp.Modules.Parameter"/> held by the
/// group itself (ConvNeXt's <c>features.1.0.layer_scale</c>).
/// </summary>
public sealed class ModuleGroup : torch.nn.Module
{
    public ModuleGroup(params (string Name, object Child)[] children)
        : base(nameof(ModuleGroup))
    {
        foreach (var (name, child) in children)
        {
            switch (child)
            {
                case torch.nn.Module module:
                    register_module(name, module);
                    break;
                case TorchSharp.Modules.Parameter parameter:
                    register_parameter(name, parameter);
                    break;
                default:
                    throw new ArgumentException($"'{name}' is neither a module nor a parameter ({child?.GetType().Name ?? "null"}).", nameof(children));
            }
        }
    }

    /// <summary>The child registered under <paramref name="name"/> (e.g. <c>"0"</c> or <c>"conv1"</c>).</summary>
    public torch.nn.Module this[string name]
    {
        get
        {
            foreach (var (childName, child) in named_children())
                if (childName == name) return child;
            throw new ArgumentException($"No child module named '{name}'.", nameof(name));
        }
    }
}
