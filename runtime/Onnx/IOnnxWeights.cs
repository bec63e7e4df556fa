using System;
using System.Collections.Generic;
using System.Linq;
using TorchSharp;
using static TorchSharp.torch;

namespace CnnGen.Runtime.Onnx;

/// <summary>Where an export reads the tensors its ops name by state-dict key: a module, or a weights file.</summary>
public interface IOnnxWeights
{
    /// <summary>The tensor's values as float32 in row-major order and its shape; false when there is no such tensor.</summary>
    bool TryGet(string key, out float[] values, out long[] shape);

    /// <summary>The number of trainable parameters the weights hold (written into the model's metadata).</summary>
    long ParameterCount { get; }
}

/// <summary>A module's current weights, read by state-dict key (on any device and dtype; copied to CPU float32).</summary>
public sealed class ModuleOnnxWeights : IOnnxWeights
{
    private readonly Dictionary<string, Tensor> _state;

    public ModuleOnnxWeights(nn.Module module)
    {
        ArgumentNullException.ThrowIfNull(module);
        _state = module.state_dict();
        ParameterCount = module.parameters().Sum(parameter => parameter.numel());
    }

    public long ParameterCount { get; }

    public bool TryGet(string key, out float[] values, out long[] shape)
    {
        if (!_state.TryGetValue(key, out var tensor))
        {
            (values, shape) = (Array.Empty<float>(), Array.Empty<long>());
            return false;
        }
        using var scope = NewDisposeScope();
        using var _ = no_grad();
        var data = tensor.detach().cpu().to_type(ScalarType.Float32).contiguous();
        values = data.data<float>().ToArray();
        shape = data.shape;
        return true;
    }
}
