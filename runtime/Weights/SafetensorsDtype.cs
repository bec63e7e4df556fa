using System;
using TorchSharp;

namespace CnnGen.Runtime.Weights;

/// <summary>The element types the safetensors format names in its header (<c>"dtype": "F32"</c>).</summary>
/// <remarks>
/// The list follows the format's specification rather than what TorchSharp can hold: a file with a
/// <c>U16</c> or <c>F8_E4M3</c> tensor is still a valid file whose other tensors can be read and whose
/// offsets must be checked with the right element size. Such tensors are only refused when someone
/// asks for their values (<see cref="SafetensorsDtypes.ToScalarType"/>).
/// </remarks>
public enum SafetensorsDtype
{
    BOOL,
    U8,
    I8,
    I16,
    U16,
    F16,
    BF16,
    I32,
    U32,
    F32,
    F64,
    I64,
    U64,
    F8_E4M3,
    F8_E5M2,
}

/// <summary>Element sizes, names and the mapping to TorchSharp's <see cref="torch.ScalarType"/>.</summary>
public static class SafetensorsDtypes
{
    /// <summary>Bytes one element takes in the data section.</summary>
    public static int ElementSize(this SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.BOOL or SafetensorsDtype.U8 or SafetensorsDtype.I8
            or SafetensorsDtype.F8_E4M3 or SafetensorsDtype.F8_E5M2 => 1,
        SafetensorsDtype.I16 or SafetensorsDtype.U16 or SafetensorsDtype.F16 or SafetensorsDtype.BF16 => 2,
        SafetensorsDtype.I32 or SafetensorsDtype.U32 or SafetensorsDtype.F32 => 4,
        SafetensorsDtype.F64 or SafetensorsDtype.I64 or SafetensorsDtype.U64 => 8,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "Unknown safetensors dtype."),
    };

    /// <summary>True for the floating-point types (a network's weights); false for integers and BOOL.</summary>
    public static bool IsFloatingPoint(this SafetensorsDtype dtype) => dtype is
        SafetensorsDtype.F16 or SafetensorsDtype.BF16 or SafetensorsDtype.F32 or SafetensorsDtype.F64
        or SafetensorsDtype.F8_E4M3 or SafetensorsDtype.F8_E5M2;

    /// <summary>
    /// Parses the header's spelling. Exact and case-sensitive, as the format is: a lenient parse here would
    /// accept files other readers reject.
    /// </summary>
    public static bool TryParse(string? name, out SafetensorsDtype dtype)
    {
        switch (name)
        {
            case "BOOL": dtype = SafetensorsDtype.BOOL; return true;
            case "U8": dtype = SafetensorsDtype.U8; return true;
            case "I8": dtype = SafetensorsDtype.I8; return true;
            case "I16": dtype = SafetensorsDtype.I16; return true;
            case "U16": dtype = SafetensorsDtype.U16; return true;
            case "F16": dtype = SafetensorsDtype.F16; return true;
            case "BF16": dtype = SafetensorsDtype.BF16; return true;
            case "I32": dtype = SafetensorsDtype.I32; return true;
            case "U32": dtype = SafetensorsDtype.U32; return true;
            case "F32": dtype = SafetensorsDtype.F32; return true;
            case "F64": dtype = SafetensorsDtype.F64; return true;
            case "I64": dtype = SafetensorsDtype.I64; return true;
            case "U64": dtype = SafetensorsDtype.U64; return true;
            case "F8_E4M3": dtype = SafetensorsDtype.F8_E4M3; return true;
            case "F8_E5M2": dtype = SafetensorsDtype.F8_E5M2; return true;
            default: dtype = default; return false;
        }
    }

    /// <summary>The name written in a header (the enum names are the format's spellings).</summary>
    public static string ToHeaderName(this SafetensorsDtype dtype) => dtype.ToString();

    /// <summary>The TorchSharp element type holding this dtype's values unchanged, or null if TorchSharp has none.</summary>
    public static torch.ScalarType? ToScalarType(this SafetensorsDtype dtype) => dtype switch
    {
        SafetensorsDtype.BOOL => torch.ScalarType.Bool,
        SafetensorsDtype.U8 => torch.ScalarType.Byte,
        SafetensorsDtype.I8 => torch.ScalarType.Int8,
        SafetensorsDtype.I16 => torch.ScalarType.Int16,
        SafetensorsDtype.F16 => torch.ScalarType.Float16,
        SafetensorsDtype.BF16 => torch.ScalarType.BFloat16,
        SafetensorsDtype.I32 => torch.ScalarType.Int32,
        SafetensorsDtype.F32 => torch.ScalarType.Float32,
        SafetensorsDtype.F64 => torch.ScalarType.Float64,
        SafetensorsDtype.I64 => torch.ScalarType.Int64,
        // TorchSharp 0.107 has no unsigned types wider than a byte and no 8-bit floats.
        _ => null,
    };

    /// <summary>The dtype a TorchSharp tensor of <paramref name="type"/> is written as, or null if the format has none.</summary>
    public static SafetensorsDtype? FromScalarType(torch.ScalarType type) => type switch
    {
        torch.ScalarType.Bool => SafetensorsDtype.BOOL,
        torch.ScalarType.Byte => SafetensorsDtype.U8,
        torch.ScalarType.Int8 => SafetensorsDtype.I8,
        torch.ScalarType.Int16 => SafetensorsDtype.I16,
        torch.ScalarType.Float16 => SafetensorsDtype.F16,
        torch.ScalarType.BFloat16 => SafetensorsDtype.BF16,
        torch.ScalarType.Int32 => SafetensorsDtype.I32,
        torch.ScalarType.Float32 => SafetensorsDtype.F32,
        torch.ScalarType.Float64 => SafetensorsDtype.F64,
        torch.ScalarType.Int64 => SafetensorsDtype.I64,
        _ => null,
    };

    /// <summary>
    /// Why a tensor stored as <paramref name="file"/> cannot be loaded into a module tensor of
    /// <paramref name="target"/>, or null when it can.
    /// </summary>
    /// <remarks>
    /// Floats convert among themselves (an F16 or BF16 checkpoint loads into F32 weights) and integers
    /// among themselves (an I32 <c>num_batches_tracked</c> loads into TorchSharp's I64 counter). Crossing
    /// the line is refused: integer data where a weight is expected is a quantized or unrelated tensor,
    /// and truncating float data into a counter would hide the same mistake.
    /// </remarks>
    /// <param name="file">The dtype stored in the file.</param>
    /// <param name="target">The module tensor's element type.</param>
    /// <param name="isCounter">
    /// True for a BatchNorm <c>num_batches_tracked</c>: a count, stored as I64 by PyTorch but held as
    /// Float32 by TorchSharp's BatchNorm, so integers and floats convert both ways for it (a count up to
    /// 2^24 is exact in F32).
    /// </param>
    public static string? ConversionProblem(SafetensorsDtype file, torch.ScalarType target, bool isCounter = false)
    {
        if (file.ToScalarType() is null)
            return $"{file} has no TorchSharp element type";
        if (isCounter && file != SafetensorsDtype.BOOL && target != torch.ScalarType.Bool)
            return null;
        bool targetFloat = target is torch.ScalarType.Float16 or torch.ScalarType.BFloat16
            or torch.ScalarType.Float32 or torch.ScalarType.Float64;
        bool targetInt = target is torch.ScalarType.Byte or torch.ScalarType.Int8 or torch.ScalarType.Int16
            or torch.ScalarType.Int32 or torch.ScalarType.Int64;
        if (targetFloat)
            return file.IsFloatingPoint() ? null : $"{file} is not a floating-point type and the module expects {target}";
        if (targetInt)
            return file is SafetensorsDtype.U8 or SafetensorsDtype.I8 or SafetensorsDtype.I16
                or SafetensorsDtype.I32 or SafetensorsDtype.I64
                ? null
                : $"{file} is not an integer type and the module expects {target}";
        if (target == torch.ScalarType.Bool)
            return file == SafetensorsDtype.BOOL ? null : $"the module expects BOOL, not {file}";
        return $"the module's element type {target} is not supported";
    }
}
