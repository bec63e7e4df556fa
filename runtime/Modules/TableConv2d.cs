using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;

namespace CnnGen.Runtime;

/// <summary>
/// A convolution with a connection table (LeCun et al. 1998, layer C3, Table I): output map j sees only
/// the input maps <c>table[j]</c>. Only the connected kernels are parameters, so TorchSharp counts what
/// the paper counts: <c>weight</c> [connections, kh, kw] holds them in table order (output map by output
/// map, inputs ascending) and is scattered into a zero kernel [out, in, kh, kw] at every forward;
/// <c>bias</c> [out].
/// </summary>
public sealed class TableConv2d : nn.Module<Tensor, Tensor>
{
    private readonly long _in;
    private readonly long _out;
    private readonly (long H, long W) _kernel;
    private readonly long[] _stride;
    private readonly long[] _padding;
    private readonly long[] _index;
    private readonly Parameter _weight;
    private readonly Parameter? _bias;
    private Tensor? _indexTensor;

    /// <param name="inChannels">Input maps.</param>
    /// <param name="outChannels">Output maps; <paramref name="table"/> has one row each.</param>
    /// <param name="table">For every output map, the input maps it is connected to (distinct, in range).</param>
    /// <param name="kernel">Kernel height and width.</param>
    /// <param name="stride">Stride (height, width); default 1.</param>
    /// <param name="padding">Zero padding (height, width); default 0.</param>
    /// <param name="bias">Whether each output map has a trainable bias.</param>
    public TableConv2d(long inChannels, long outChannels, int[][] table, (long H, long W) kernel, (long H, long W)? stride = null, (long H, long W)? padding = null, bool bias = true)
        : base(nameof(TableConv2d))
    {
        if (table is null) throw new ArgumentNullException(nameof(table));
        if (inChannels < 1) throw new ArgumentOutOfRangeException(nameof(inChannels), inChannels, "needs at least one input map");
        if (table.Length != outChannels) throw new ArgumentException($"The table has {table.Length} rows but there are {outChannels} output maps.", nameof(table));
        if (kernel.H < 1 || kernel.W < 1) throw new ArgumentOutOfRangeException(nameof(kernel), kernel, "the kernel must be at least 1x1");
        var index = new List<long>();
        for (var j = 0; j < table.Length; j++)
        {
            var row = table[j] ?? throw new ArgumentException($"Row {j} of the table is null.", nameof(table));
            if (row.Length == 0) throw new ArgumentException($"Output map {j} is connected to no input map.", nameof(table));
            if (row.Distinct().Count() != row.Length || row.Any(i => i < 0 || i >= inChannels))
                throw new ArgumentException($"Row {j} of the table ({string.Join(", ", row)}) must list distinct input maps in 0..{inChannels - 1}.", nameof(table));
            foreach (var i in row.OrderBy(i => i)) index.Add(j * inChannels + i);
        }
        _in = inChannels;
        _out = outChannels;
        _kernel = kernel;
        _stride = new[] { (stride ?? (1, 1)).H, (stride ?? (1, 1)).W };
        _padding = new[] { (padding ?? (0, 0)).H, (padding ?? (0, 0)).W };
        _index = index.ToArray();

        // The paper's initialisation: uniform in +-2.4 / fan-in, per output map (its fan-in depends on its row).
        var weight = empty(_index.Length, kernel.H, kernel.W);
        var biasValues = bias ? empty(outChannels) : null;
        var position = 0;
        for (var j = 0; j < table.Length; j++)
        {
            var bound = 2.4 / (table[j].Length * kernel.H * kernel.W);
            using (var slice = weight.narrow(0, position, table[j].Length)) slice.uniform_(-bound, bound);
            if (biasValues is not null) using (var one = biasValues.narrow(0, j, 1)) one.uniform_(-bound, bound);
            position += table[j].Length;
        }
        _weight = new Parameter(weight);
        register_parameter("weight", _weight);
        if (biasValues is not null)
        {
            _bias = new Parameter(biasValues);
            register_parameter("bias", _bias);
        }
    }

    /// <summary>The connected kernels, [connections, kh, kw].</summary>
    public Parameter weight => _weight;

    /// <summary>One bias per output map, or null.</summary>
    public Parameter? bias => _bias;

    /// <summary>The number of connected (input map, output map) pairs.</summary>
    public long Connections => _index.Length;

    /// <summary>The full kernel [out, in, kh, kw], zero where the table has no connection.</summary>
    public Tensor FullWeight()
    {
        var index = IndexTensor();
        using var zeros = torch.zeros(new[] { _out * _in, _kernel.H, _kernel.W }, dtype: _weight.dtype, device: _weight.device);
        using var scattered = zeros.index_copy(0, index, _weight);
        return scattered.view(_out, _in, _kernel.H, _kernel.W);
    }

    /// <summary>
    /// The scatter index on the weight's device, made once per device: <c>torch.tensor(long[])</c> leaves a
    /// native object for the finalizer at every call (see <see cref="Forward"/>). Kept out of any dispose
    /// scope open at the first forward, which would free it.
    /// </summary>
    private Tensor IndexTensor()
    {
        if (_indexTensor is null || _indexTensor.device_type != _weight.device_type || _indexTensor.device_index != _weight.device_index)
        {
            _indexTensor?.Dispose();
            _indexTensor = tensor(_index, device: _weight.device).DetachFromDisposeScope();
        }
        return _indexTensor;
    }

    protected override void Dispose(bool disposing)
    {
        if (disposing) _indexTensor?.Dispose();
        base.Dispose(disposing);
    }

    public override Tensor forward(Tensor input)
    {
        if (input.dim() != 4 || input.size(1) != _in)
            throw new ArgumentException($"{nameof(TableConv2d)} expects [N, {_in}, H, W], but the input has shape [{string.Join(", ", input.shape)}].", nameof(input));
        using var kernel = FullWeight();
        return nn.functional.conv2d(input, kernel, _bias, strides: _stride, padding: _padding);
    }
}
