using System;
using System.IO;
using System.Runtime.InteropServices;
using CnnGen.Runtime;
using Microsoft.ML.OnnxRuntime;
using TorchSharp;

namespace CnnGen.Serving;

/// <summary>
/// A generated network's ONNX file (its <c>ExportOnnx</c>) served by ONNX Runtime, typed by its class:
/// <c>new OnnxNetwork&lt;ResNet50&gt;("resnet50.onnx")</c> refuses a file of another class, checks every input
/// against the class's shape facts before ONNX Runtime sees it, and says what is wrong in an
/// <see cref="ArgumentException"/> instead of an error from inside a kernel (or a native read past a short buffer).
/// </summary>
/// <remarks>
/// One instance serves any number of concurrent callers (a web service's request threads): ONNX Runtime's Run is
/// thread-safe, and a call here keeps all its state in locals. <see cref="Dispose"/> waits for running calls, so
/// the native session is never freed under one; later calls get <see cref="ObjectDisposedException"/>.
/// </remarks>
/// <typeparam name="TNetwork">
/// The generated class the file was exported from. Only its static shape facts (<see cref="INetworkFacts"/>) and
/// its name are read: no TorchSharp module is built, and no libtorch is needed unless tensors are passed.
/// </typeparam>
public sealed class OnnxNetwork<TNetwork> : IDisposable where TNetwork : INetworkFacts
{
    private readonly InferenceSession _session;
    private readonly ExpectedInput _expected;
    private readonly string[] _inputNames;
    private readonly string[] _outputNames;
    private readonly InFlightCalls _calls = new();

    /// <summary>Opens the ONNX model at <paramref name="path"/>.</summary>
    /// <param name="path">A file written by <c>ExportOnnx</c> (or <c>cnngen export --onnx</c>).</param>
    /// <param name="options">ONNX Runtime's session options (threads, execution providers); the caller keeps ownership.</param>
    /// <param name="requireCnnGenMetadata">
    /// False to accept a file without CnnGen's <c>cnngen.class</c> metadata (exported by another tool), checked against the
    /// class's facts and the file's own input dimensions. A file whose metadata names another class is refused either way.
    /// </param>
    /// <exception cref="FileNotFoundException">No file at <paramref name="path"/>.</exception>
    /// <exception cref="InvalidDataException">The file is not a <typeparamref name="TNetwork"/> (the message names both classes).</exception>
    public OnnxNetwork(string path, SessionOptions? options = null, bool requireCnnGenMetadata = true)
        : this(OpenFile(path, options), requireCnnGenMetadata)
    {
    }

    /// <summary>Opens an ONNX model held in memory.</summary>
    /// <param name="model">The bytes <c>ExportOnnx(Stream)</c> wrote.</param>
    /// <param name="options">ONNX Runtime's session options (threads, execution providers); the caller keeps ownership.</param>
    /// <param name="requireCnnGenMetadata">False to accept a model without CnnGen's <c>cnngen.class</c> metadata (see the path constructor).</param>
    /// <exception cref="InvalidDataException">The model is not a <typeparamref name="TNetwork"/> (the message names both classes).</exception>
    public OnnxNetwork(byte[] model, SessionOptions? options = null, bool requireCnnGenMetadata = true)
        : this(OpenBytes(model, options), requireCnnGenMetadata)
    {
    }

    private OnnxNetwork(InferenceSession session, bool requireCnnGenMetadata)
    {
        try
        {
            (_expected, var inputName, var outputName) = ModelCheck.Read<TNetwork>(session, requireCnnGenMetadata);
            _inputNames = new[] { inputName };
            _outputNames = new[] { outputName };
        }
        catch
        {
            session.Dispose();
            throw;
        }
        _session = session;
    }

    /// <summary>
    /// Runs a float32 batch [N, C, H, W] on any device (copied to the CPU, where ONNX Runtime reads it) and returns the
    /// output as a new CPU tensor the caller owns, batch first. The input is not changed.
    /// </summary>
    /// <exception cref="ArgumentException">The input is not float32 or not a shape the network accepts (the message names both shapes).</exception>
    public torch.Tensor Run(torch.Tensor input)
    {
        ArgumentNullException.ThrowIfNull(input);
        using var call = _calls.Enter(this);
        if (input.dtype != torch.ScalarType.Float32)
            throw new ArgumentException($"{_expected.Network} takes float32 values, but the input is {input.dtype}.", nameof(input));
        var shape = ShapeOf(input);
        _expected.Check(shape, nameof(input));
        using var outputs = RunSession(ValuesOf(input), shape);
        var output = outputs[0];
        var result = torch.empty(output.GetTensorTypeAndShape().Shape, dtype: torch.ScalarType.Float32);
        output.GetTensorDataAsSpan<float>().CopyTo(MemoryMarshal.Cast<byte, float>(result.bytes));
        return result;
    }

    /// <summary>Runs a batch given as row-major <paramref name="data"/> of <paramref name="shape"/> [N, C, H, W], without TorchSharp.</summary>
    /// <exception cref="ArgumentException">The shape is not one the network accepts, or <paramref name="data"/> does not hold exactly its values.</exception>
    public NetworkOutput Run(float[] data, long[] shape)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentNullException.ThrowIfNull(shape);
        using var call = _calls.Enter(this);
        // A copy, so the shape checked is the shape ONNX Runtime reads even if the caller's array changes meanwhile.
        var dims = (long[])shape.Clone();
        _expected.Check(dims, nameof(shape));
        _expected.CheckLength(dims, data.LongLength, nameof(data));
        using var outputs = RunSession(data, dims);
        var output = outputs[0];
        return new NetworkOutput(output.GetTensorDataAsSpan<float>().ToArray(), output.GetTensorTypeAndShape().Shape);
    }

    /// <summary>Waits for running calls, then frees the native session; later calls throw <see cref="ObjectDisposedException"/>.</summary>
    public void Dispose()
    {
        if (_calls.Close())
            _session.Dispose();
    }

    /// <summary>One session run on checked data; its input value pins <paramref name="data"/> only while ONNX Runtime reads it.</summary>
    private IDisposableReadOnlyCollection<OrtValue> RunSession(float[] data, long[] shape)
    {
        using var input = OrtValue.CreateTensorValueFromMemory(data, shape);
        using var options = new RunOptions();
        return _session.Run(options, _inputNames, new[] { input }, _outputNames);
    }

    // dim() and size(i), not shape: in TorchSharp 0.107 every shape read leaves a small native object for the
    // finalizer (see InputCheck), and this runs on every request.
    private static long[] ShapeOf(torch.Tensor input)
    {
        var shape = new long[input.dim()];
        for (var i = 0; i < shape.Length; i++) shape[i] = input.size(i);
        return shape;
    }

    /// <summary>The values of a checked input, row-major, through a CPU and a contiguous copy only where it needs them.</summary>
    private static float[] ValuesOf(torch.Tensor input)
    {
        var onCpu = input.device_type == DeviceType.CPU ? input : input.cpu();
        try
        {
            var contiguous = onCpu.is_contiguous() ? onCpu : onCpu.contiguous();
            try
            {
                return MemoryMarshal.Cast<byte, float>(contiguous.bytes).ToArray();
            }
            finally
            {
                if (!ReferenceEquals(contiguous, onCpu)) contiguous.Dispose();
            }
        }
        finally
        {
            if (!ReferenceEquals(onCpu, input)) onCpu.Dispose();
        }
    }

    private static InferenceSession OpenFile(string path, SessionOptions? options)
    {
        ArgumentNullException.ThrowIfNull(path);
        if (!File.Exists(path))
            throw new FileNotFoundException($"There is no ONNX model at {path}.", path);
        return options is null ? new InferenceSession(path) : new InferenceSession(path, options);
    }

    private static InferenceSession OpenBytes(byte[] model, SessionOptions? options)
    {
        ArgumentNullException.ThrowIfNull(model);
        return options is null ? new InferenceSession(model) : new InferenceSession(model, options);
    }
}
