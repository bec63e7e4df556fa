using System;
using System.Collections.Generic;
using System.Globalization;
using System.Linq;
using System.Runtime.InteropServices;
using Google.Protobuf;
using Onnx;

namespace CnnGen.Runtime.Onnx;

/// <summary>
/// Builds an ONNX graph through OnnxSharp's classes (generated from the official onnx.proto on Google.Protobuf),
/// so the bytes are written by protobuf's own serializer, not by hand: nodes with unique names, float32
/// initializers, int64 and float constants.
/// </summary>
internal sealed class OnnxGraphBuilder
{
    private readonly HashSet<string> _nodeNames = new(StringComparer.Ordinal);
    private readonly HashSet<string> _valueNames = new(StringComparer.Ordinal);
    private int _constants;

    public GraphProto Graph { get; } = new();

    /// <summary>Adds a node; returns its (first) output's name. <paramref name="output"/> null gives a new name after the node.</summary>
    public string Node(string op, string name, IEnumerable<string> inputs, string? output = null, params AttributeProto[] attributes)
    {
        var node = new NodeProto { OpType = op, Name = Unique(_nodeNames, name) };
        node.Input.AddRange(inputs);
        node.Output.Add(output ?? Unique(_valueNames, node.Name + ":" + op));
        node.Attribute.AddRange(attributes);
        Graph.Node.Add(node);
        return node.Output[0];
    }

    /// <summary>A float32 initializer; returns its name.</summary>
    public string Initializer(string name, float[] values, long[] shape)
    {
        var tensor = new TensorProto { Name = Unique(_valueNames, name), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.Dims.AddRange(shape);
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>An int64 constant (shapes, slice bounds) as an initializer.</summary>
    public string Int64s(params long[] values)
    {
        var tensor = new TensorProto { Name = Unique(_valueNames, "const_" + (_constants++).ToString(CultureInfo.InvariantCulture)), DataType = (int)TensorProto.Types.DataType.Int64 };
        tensor.Dims.Add(values.Length);
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(MemoryMarshal.AsBytes(values.AsSpan()).ToArray());
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>A float32 scalar constant (a rank-0 initializer, which broadcasts).</summary>
    public string Scalar(float value)
    {
        var tensor = new TensorProto { Name = Unique(_valueNames, "const_" + (_constants++).ToString(CultureInfo.InvariantCulture)), DataType = (int)TensorProto.Types.DataType.Float };
        tensor.RawData = UnsafeByteOperations.UnsafeWrap(BitConverter.GetBytes(value));
        Graph.Initializer.Add(tensor);
        return tensor.Name;
    }

    /// <summary>Reserves a value name (the graph's input and output).</summary>
    public string Reserve(string name) => _valueNames.Add(name) ? name : throw new InvalidOperationException($"'{name}' is already a value of the graph.");

    public static AttributeProto Ints(string name, IEnumerable<long> values)
    {
        var attribute = new AttributeProto { Name = name, Type = AttributeProto.Types.AttributeType.Ints };
        attribute.Ints.AddRange(values);
        return attribute;
    }

    public static AttributeProto Int(string name, long value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Int, I = value };

    public static AttributeProto Float(string name, double value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.Float, F = (float)value };

    public static AttributeProto Text(string name, string value) => new() { Name = name, Type = AttributeProto.Types.AttributeType.String, S = ByteString.CopyFromUtf8(value) };

    /// <summary>A float tensor value with these dimensions (a number, or a name for a dynamic one, or null for unknown).</summary>
    public static ValueInfoProto Value(string name, IEnumerable<object?> dims)
    {
        var shape = new TensorShapeProto();
        foreach (var dim in dims)
        {
            var dimension = new TensorShapeProto.Types.Dimension();
            if (dim is long size) dimension.DimValue = size;
            else if (dim is string symbol) dimension.DimParam = symbol;
            shape.Dim.Add(dimension);
        }
        return new ValueInfoProto
        {
            Name = name,
            Type = new TypeProto { TensorType = new TypeProto.Types.Tensor { ElemType = (int)TensorProto.Types.DataType.Float, Shape = shape } },
        };
    }

    private static string Unique(HashSet<string> names, string name)
    {
        if (names.Add(name)) return name;
        for (var n = 2; ; n++)
        {
            var candidate = name + "_" + n.ToString(CultureInfo.InvariantCulture);
            if (names.Add(candidate)) return candidate;
        }
    }
}
