using System;
using System.Linq;
using TorchSharp;

namespace CnnGen.Runtime;

/// <summary>
/// Swaps one registered child module for another in place (the generated <c>ResetClassifier</c> uses it):
/// same name, same position among its siblings (so <c>parameters()</c> and <c>state_dict()</c> keep
/// torchvision's order), the old module's device, dtype and training mode.
/// </summary>
public static class ModuleSlots
{
    /// <summary>
    /// Registers <paramref name="fresh"/> under the dotted module path <paramref name="path"/> of
    /// <paramref name="root"/> in place of <paramref name="old"/>, moved to the device and dtype of
    /// <paramref name="old"/>'s first parameter, and disposes <paramref name="old"/>: an optimizer built over
    /// the old parameters fails on its next step instead of silently training tensors the network no longer uses.
    /// </summary>
    /// <returns><paramref name="fresh"/>, for the caller's field.</returns>
    /// <exception cref="ArgumentException"><paramref name="path"/> does not name <paramref name="old"/>.</exception>
    public static T Replace<T>(torch.nn.Module root, string path, torch.nn.Module old, T fresh) where T : torch.nn.Module
    {
        ArgumentNullException.ThrowIfNull(root);
        ArgumentNullException.ThrowIfNull(old);
        ArgumentNullException.ThrowIfNull(fresh);
        var dot = path.LastIndexOf('.');
        var parent = dot < 0 ? root : Find(root, path.Substring(0, dot));
        var name = path.Substring(dot + 1);
        var siblings = parent.named_children().ToList();
        var at = siblings.FindIndex(child => child.name == name);
        if (at < 0 || !ReferenceEquals(siblings[at].module, old))
            throw new ArgumentException($"'{path}' is not the module being replaced.", nameof(path));

        if (old.parameters().FirstOrDefault() is { } like)
            fresh.to(like.device).to(like.dtype);
        fresh.train(old.training);
        // TorchSharp appends a registered child at the end: unregister it and every later sibling, then
        // register them again in their order so the replacement keeps the old one's place.
        for (var i = at; i < siblings.Count; i++)
            parent.register_module(siblings[i].name, null!);
        parent.register_module(name, fresh);
        for (var i = at + 1; i < siblings.Count; i++)
            parent.register_module(siblings[i].name, siblings[i].module);
        old.Dispose();
        return fresh;
    }

    private static torch.nn.Module Find(torch.nn.Module root, string path)
    {
        var module = root;
        foreach (var part in path.Split('.'))
            module = module.named_children().FirstOrDefault(child => child.name == part).module
                ?? throw new ArgumentException($"'{path}' names no module.", nameof(path));
        return module;
    }
}
