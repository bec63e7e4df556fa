using CnnGen.Runtime;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Tests;

public class ModuleSlotsTests
{
    [Fact]
    public void A_replaced_child_keeps_its_place_among_its_siblings()
    {
        using var root = new ModuleGroup(("stem", nn.Linear(2, 3)), ("body", new ModuleGroup(("a", nn.Linear(3, 4)), ("b", nn.Linear(4, 5)), ("c", nn.Linear(5, 6)))));
        var body = (ModuleGroup)root["body"];
        var old = body["b"];

        var fresh = ModuleSlots.Replace(root, "body.b", old, nn.Linear(4, 9));

        Assert.Same(fresh, body["b"]);
        Assert.Equal(new[] { "stem.weight", "stem.bias", "body.a.weight", "body.a.bias", "body.b.weight", "body.b.bias", "body.c.weight", "body.c.bias" },
            root.state_dict().Keys);
        Assert.Equal(new[] { 9L, 4 }, root.state_dict()["body.b.weight"].shape);
    }

    [Fact]
    public void A_path_that_does_not_hold_the_old_module_is_refused_and_nothing_changes()
    {
        using var root = new ModuleGroup(("a", nn.Linear(3, 4)), ("b", nn.Linear(4, 5)));
        using var fresh = nn.Linear(4, 9);
        Assert.Throws<ArgumentException>(() => ModuleSlots.Replace(root, "b", root["a"], fresh));
        Assert.Throws<ArgumentException>(() => ModuleSlots.Replace(root, "x.b", root["b"], fresh));
        Assert.Equal(new[] { 5L, 4 }, root.state_dict()["b.weight"].shape);
    }
}
