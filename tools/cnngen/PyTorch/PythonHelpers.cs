namespace CnnGen.Tool.PyTorch;

/// <summary>
/// The Python the generated modules may need besides torch: the DSL's functions with the generator's semantics
/// (generator/Expressions, runtime/Modules/DslMath.cs) and small modules for layers torch has no class for, each
/// computing what the C# runtime computes (runtime/Modules/Forward*.cs, TableConv2d.cs, TrainableSubsample.cs).
/// A file holds only those it uses, in this order.
/// </summary>
internal static class PythonHelpers
{
    /// <summary>Names of helpers and the helpers they use.</summary>
    private static readonly IReadOnlyDictionary<string, string[]> Uses = new Dictionary<string, string[]>
    {
        ["StochasticDepth"] = new[] { "_stochastic_depth" },
        ["ChannelShuffle"] = new[] { "_channel_shuffle" },
    };

    public static readonly IReadOnlyList<(string Name, string Code)> All = new (string, string)[]
    {
        ("_div", """
def _div(a, b):
    # The DSL's '/': an integer when both are integers and it divides exactly, else a float.
    if isinstance(a, int) and isinstance(b, int) and a % b == 0:
        return a // b
    return a / b
"""),
        ("_make_divisible", """
def _make_divisible(value, divisor=8):
    # torchvision's _make_divisible: the nearest multiple of divisor, at least divisor, at most 10% below value.
    rounded = max(divisor, int(value + divisor / 2) // divisor * divisor)
    return rounded + divisor if rounded < 0.9 * value else rounded
"""),
        ("_stochastic_depth", """
def _stochastic_depth(x, p, training):
    # torchvision.ops.stochastic_depth in "row" mode: in training each sample is kept with probability 1 - p and
    # scaled by 1 / (1 - p), else zeroed; the identity in eval or at p = 0.
    if not training or p == 0.0:
        return x
    survival = 1.0 - p
    noise = torch.empty([x.shape[0]] + [1] * (x.dim() - 1), dtype=x.dtype, device=x.device).bernoulli_(survival)
    if survival > 0.0:
        noise.div_(survival)
    return x * noise
"""),
        ("_channel_shuffle", """
def _channel_shuffle(x, groups):
    # ShuffleNet's channel shuffle: the channels as [groups, C / groups], transposed.
    n, c, h, w = x.shape
    return x.view(n, groups, c // groups, h, w).transpose(1, 2).reshape(n, c, h, w)
"""),
        ("_center_crop", """
def _center_crop(x, reference):
    # The U-Net's crop-and-copy (Forward.CenterCrop): the centre of x with the reference's height and width, its
    # top-left corner at ((H - h) // 2, (W - w) // 2).
    h, w = reference.shape[-2:]
    top = (x.shape[-2] - h) // 2
    left = (x.shape[-1] - w) // 2
    return x[:, :, top:top + h, left:left + w]
"""),
        ("_pad_to", """
def _pad_to(x, reference):
    # The padded U-Net's decoder (Forward.PadTo, milesial/Pytorch-UNet's Up): zeros up to the reference's height and
    # width, floor half of the extra before, the rest after.
    dy = reference.shape[-2] - x.shape[-2]
    dx = reference.shape[-1] - x.shape[-1]
    return F.pad(x, [dx // 2, dx - dx // 2, dy // 2, dy - dy // 2])
"""),
        ("StochasticDepth", """
class StochasticDepth(nn.Module):
    # torchvision.ops.StochasticDepth(p, "row").
    def __init__(self, p):
        super().__init__()
        self.p = p

    def forward(self, x):
        return _stochastic_depth(x, self.p, self.training)
"""),
        ("ChannelShuffle", """
class ChannelShuffle(nn.Module):
    def __init__(self, groups):
        super().__init__()
        self.groups = groups

    def forward(self, x):
        return _channel_shuffle(x, self.groups)
"""),
        ("LayerNorm2d", """
class LayerNorm2d(nn.LayerNorm):
    # torchvision's LayerNorm2d (ConvNeXt): layer norm over the channels of each pixel of an N x C x H x W map.
    def forward(self, x):
        x = x.permute(0, 2, 3, 1)
        x = F.layer_norm(x, self.normalized_shape, self.weight, self.bias, self.eps)
        return x.permute(0, 3, 1, 2)
"""),
        ("Permute", """
class Permute(nn.Module):
    def __init__(self, *dims):
        super().__init__()
        self.dims = dims

    def forward(self, x):
        return x.permute(*self.dims)
"""),
        ("Scale", """
class Scale(nn.Module):
    # Times a constant.
    def __init__(self, factor):
        super().__init__()
        self.factor = factor

    def forward(self, x):
        return x * self.factor
"""),
        ("GlobalAvgPool", """
class GlobalAvgPool(nn.Module):
    # The mean over height and width: a C x H x W map becomes a vector of C features.
    def forward(self, x):
        return x.mean((2, 3))
"""),
        ("TrainableSubsample", """
class TrainableSubsample(nn.Module):
    # LeNet-5's subsampling (LeCun et al. 1998, S2 and S4): each map's k x k window sums (stride k) times a learned
    # weight plus a learned bias, per map; initialised uniform in +-2.4 / (k * k) as in the paper.
    def __init__(self, channels, kernel_size=2):
        super().__init__()
        self.kernel_size = kernel_size
        bound = 2.4 / (kernel_size * kernel_size)
        self.weight = nn.Parameter(torch.empty(channels).uniform_(-bound, bound))
        self.bias = nn.Parameter(torch.empty(channels).uniform_(-bound, bound))

    def forward(self, x):
        sums = F.avg_pool2d(x, self.kernel_size, self.kernel_size, divisor_override=1)
        return torch.addcmul(self.bias.view(1, -1, 1, 1), sums, self.weight.view(1, -1, 1, 1))
"""),
        ("DFL", """
class DFL(nn.Module):
    # Ultralytics' DFL (ultralytics/nn/modules/block.py) on its Detect head's box maps: their pixels as anchors
    # (cat([x.view(b, c, -1) ...], 2)), a softmax over the c1 bins of each box side and the expectation through a 1 x c1
    # convolution whose weight is arange(c1), fixed: [b, 4, anchors].
    def __init__(self, c1=16):
        super().__init__()
        self.conv = nn.Conv2d(c1, 1, 1, bias=False).requires_grad_(False)
        self.conv.weight.data[:] = torch.arange(c1, dtype=torch.float).view(1, c1, 1, 1)
        self.c1 = c1

    def forward(self, *levels):
        x = torch.cat([level.flatten(2) for level in levels], 2)
        b, _, a = x.shape
        return self.conv(x.view(b, 4, self.c1, a).transpose(2, 1).softmax(1)).view(b, 4, a)
"""),
        ("TableConv2d", """
class TableConv2d(nn.Module):
    # A convolution with a connection table (LeCun et al. 1998, C3): output map j sees only the input maps table[j].
    # Only the connected kernels are parameters: weight [connections, kh, kw] in table order (output map by output
    # map, inputs ascending), scattered into a zero kernel [out, in, kh, kw] at every forward; bias [out].
    def __init__(self, in_channels, out_channels, table, kernel_size, stride=1, padding=0, bias=True):
        super().__init__()
        pair = lambda v: v if isinstance(v, tuple) else (v, v)
        self.in_channels, self.out_channels = in_channels, out_channels
        self.kernel_size, self.stride, self.padding = pair(kernel_size), pair(stride), pair(padding)
        index = [j * in_channels + i for j, row in enumerate(table) for i in sorted(row)]
        self.register_buffer("index", torch.tensor(index, dtype=torch.long), persistent=False)
        kh, kw = self.kernel_size
        weight = torch.empty(len(index), kh, kw)
        bias_values = torch.empty(out_channels)
        position = 0
        for j, row in enumerate(table):
            bound = 2.4 / (len(row) * kh * kw)
            weight[position:position + len(row)].uniform_(-bound, bound)
            bias_values[j].uniform_(-bound, bound)
            position += len(row)
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(bias_values) if bias else None

    def forward(self, x):
        kh, kw = self.kernel_size
        zeros = torch.zeros(self.out_channels * self.in_channels, kh, kw, dtype=self.weight.dtype, device=self.weight.device)
        kernel = zeros.index_copy(0, self.index, self.weight).view(self.out_channels, self.in_channels, kh, kw)
        return F.conv2d(x, kernel, self.bias, self.stride, self.padding)
"""),
        ("_Group", """
class _Group(nn.Module):
    # Named modules and parameters the enclosing module's forward reaches into (no forward of its own).
    def __init__(self, items):
        super().__init__()
        for name, item in items:
            if isinstance(item, nn.Parameter):
                self.register_parameter(name, item)
            else:
                self.add_module(name, item)
"""),
    };

    public static IReadOnlySet<string> Names { get; } = new HashSet<string>(All.Select(helper => helper.Name), StringComparer.Ordinal);

    /// <summary>The helpers' code for <paramref name="used"/> and what they use, in the fixed order.</summary>
    public static IEnumerable<string> Code(IEnumerable<string> used)
    {
        var needed = new HashSet<string>(used, StringComparer.Ordinal);
        foreach (var name in needed.ToList())
            if (Uses.TryGetValue(name, out var more)) needed.UnionWith(more);
        return All.Where(helper => needed.Contains(helper.Name)).Select(helper => helper.Code.Trim('\n'));
    }
}
