using System;
using System.Buffers.Binary;
using System.Collections.Generic;
using System.IO;
using System.Numerics;
using System.Text;

namespace CnnGen.Runtime.Weights.Checkpoints;

/// <summary>
/// Reads one pickle as <c>torch.load(weights_only=True)</c> would: only the opcodes and globals a
/// <c>torch.save</c>d state dict needs, and a clear <see cref="CheckpointFormatException"/> with the
/// pickle offset for anything else.
/// </summary>
/// <remarks>
/// <para>
/// Why not Razorvine.Pickle (served here): its unpickler calls a constructor for every global, from a
/// process-wide static registry (<c>Unpickler.registerConstructor</c>), and an unknown global becomes a
/// generic class-dict object instead of an error. Refusing unknown globals would mean replacing its
/// global handling anyway, and a static registry would change the behaviour of any other user of the
/// library in the same process. It also reads every opcode Python has, where a state dict needs two dozen.
/// Why not TorchSharp.PyBridge 1.4.4: zip format only (legacy files throw NotImplementedException),
/// wrapped checkpoints (<c>{"state_dict": ...}</c>) throw InvalidCastException, it leaves every loaded
/// parameter with requires_grad off (measured here on ResNet-18: fine-tuning would train nothing), and
/// it has no strict/report semantics; see ENVIRONMENT.md.
/// </para>
/// <para>
/// Bounds: every length is checked against the bytes left before anything is allocated, so memory stays
/// proportional to the pickle; no opcode recurses, and MARK nesting is capped at
/// <see cref="MaxMarkDepth"/>. Nothing is executed: the only "calls" are REDUCE on the allowed globals,
/// which build plain descriptions (<see cref="PickleDict"/>, <see cref="TensorRecord"/>).
/// </para>
/// </remarks>
internal sealed class RestrictedUnpickler
{
    /// <summary>Deepest MARK nesting accepted. A state dict pickle nests three deep.</summary>
    public const int MaxMarkDepth = 64;

    /// <summary>Longest LONG1 integer accepted, in bytes (the legacy magic number takes 10).</summary>
    private const int MaxLongBytes = 16;

    private static readonly Dictionary<string, SafetensorsDtype> StorageTypes = new(StringComparer.Ordinal)
    {
        ["FloatStorage"] = SafetensorsDtype.F32,
        ["DoubleStorage"] = SafetensorsDtype.F64,
        ["HalfStorage"] = SafetensorsDtype.F16,
        ["BFloat16Storage"] = SafetensorsDtype.BF16,
        ["LongStorage"] = SafetensorsDtype.I64,
        ["IntStorage"] = SafetensorsDtype.I32,
        ["ShortStorage"] = SafetensorsDtype.I16,
        ["CharStorage"] = SafetensorsDtype.I8,
        ["ByteStorage"] = SafetensorsDtype.U8,
        ["BoolStorage"] = SafetensorsDtype.BOOL,
    };

    private readonly Stream _input;
    private readonly long _limit;
    private readonly long _baseOffset;
    private readonly string _path;
    private readonly string _where;
    private readonly Func<PickleTuple, long, object> _persistentLoad;
    private long _position;
    private long _opcodeAt;

    private readonly List<object?> _stack = new();
    private readonly Stack<int> _marks = new();
    private readonly Dictionary<long, object?> _memo = new();

    /// <param name="input">Positioned at the pickle's first byte.</param>
    /// <param name="limit">Bytes the pickle may take at most (what is left of the entry or file).</param>
    /// <param name="baseOffset">Offset of the pickle in its entry or file, for messages.</param>
    /// <param name="path">The file, for messages.</param>
    /// <param name="where">Entry name or "file", for messages.</param>
    /// <param name="persistentLoad">Turns a BINPERSID tuple into a <see cref="StorageRef"/> (or throws).</param>
    private RestrictedUnpickler(Stream input, long limit, long baseOffset, string path, string where,
        Func<PickleTuple, long, object> persistentLoad)
    {
        _input = input;
        _limit = limit;
        _baseOffset = baseOffset;
        _path = path;
        _where = where;
        _persistentLoad = persistentLoad;
    }

    /// <summary>The storage dtype a <c>torch.XxxStorage</c> global names, if it is one.</summary>
    public static bool TryStorageDtype(object? value, out SafetensorsDtype dtype)
    {
        if (value is PickleGlobal { Module: "torch" } g && StorageTypes.TryGetValue(g.Name, out dtype))
            return true;
        dtype = default;
        return false;
    }

    /// <summary>Reads one pickle up to its STOP. Returns the value and the bytes consumed.</summary>
    public static (object? Value, long Consumed) Load(Stream input, long limit, long baseOffset, string path, string where,
        Func<PickleTuple, long, object> persistentLoad)
    {
        var reader = new RestrictedUnpickler(input, limit, baseOffset, path, where, persistentLoad);
        var value = reader.Run();
        return (value, reader._position);
    }

    /// <summary>An error at the current opcode.</summary>
    public CheckpointFormatException Fail(string problem) =>
        new(_path, problem, $"{_where} at pickle offset {_baseOffset + _opcodeAt}");

    private object? Run()
    {
        while (true)
        {
            _opcodeAt = _position;
            byte op = ReadByte();
            switch (op)
            {
                case 0x80: // PROTO
                    byte protocol = ReadByte();
                    if (protocol > 5) throw Fail($"pickle protocol {protocol} is not supported");
                    break;
                case 0x95: // FRAME (protocol 4): an 8-byte length; the bytes follow inline
                    Skip(8);
                    break;
                case (byte)'.': // STOP
                    if (_marks.Count != 0) throw Fail("STOP inside an open MARK");
                    if (_stack.Count != 1) throw Fail($"STOP with {_stack.Count} values on the stack, not 1");
                    return _stack[0];
                case (byte)'(': // MARK
                    if (_marks.Count >= MaxMarkDepth) throw Fail($"MARK nesting deeper than {MaxMarkDepth}");
                    _marks.Push(_stack.Count);
                    break;
                case (byte)'}': Push(new PickleDict()); break; // EMPTY_DICT
                case (byte)']': Push(new List<object?>()); break; // EMPTY_LIST
                case (byte)')': Push(new PickleTuple(Array.Empty<object?>())); break; // EMPTY_TUPLE
                case (byte)'N': Push(null); break; // NONE
                case 0x88: Push(true); break; // NEWTRUE
                case 0x89: Push(false); break; // NEWFALSE
                case (byte)'K': Push((long)ReadByte()); break; // BININT1
                case (byte)'M': Push((long)BinaryPrimitives.ReadUInt16LittleEndian(ReadBytes(2))); break; // BININT2
                case (byte)'J': Push((long)BinaryPrimitives.ReadInt32LittleEndian(ReadBytes(4))); break; // BININT
                case 0x8a: // LONG1
                    int n = ReadByte();
                    if (n > MaxLongBytes) throw Fail($"LONG1 of {n} bytes is longer than the {MaxLongBytes} accepted");
                    Push(LongValue(ReadBytes(n)));
                    break;
                case (byte)'G': Push(BinaryPrimitives.ReadDoubleBigEndian(ReadBytes(8))); break; // BINFLOAT
                case (byte)'X': Push(ReadString(ReadLength(4))); break; // BINUNICODE
                case 0x8c: Push(ReadString(ReadByte())); break; // SHORT_BINUNICODE
                case 0x85: PushTuple(1); break; // TUPLE1
                case 0x86: PushTuple(2); break; // TUPLE2
                case 0x87: PushTuple(3); break; // TUPLE3
                case (byte)'t': Push(new PickleTuple(PopMark().ToArray())); break; // TUPLE
                case (byte)'a': // APPEND
                {
                    var item = Pop();
                    AsList(Peek()).Add(item);
                    break;
                }
                case (byte)'e': // APPENDS
                {
                    var items = PopMark();
                    AsList(Peek()).AddRange(items);
                    break;
                }
                case (byte)'s': // SETITEM
                {
                    var value = Pop();
                    var key = Pop();
                    SetItem(Peek(), key, value);
                    break;
                }
                case (byte)'u': // SETITEMS
                {
                    var items = PopMark();
                    if (items.Count % 2 != 0) throw Fail("SETITEMS with an odd number of values");
                    var dict = Peek();
                    for (int i = 0; i < items.Count; i += 2)
                        SetItem(dict, items[i], items[i + 1]);
                    break;
                }
                case (byte)'c': // GLOBAL "module\nname\n"
                {
                    string module = ReadLine();
                    string name = ReadLine();
                    Push(Global(module, name));
                    break;
                }
                case 0x93: // STACK_GLOBAL
                {
                    var name = Pop() as string ?? throw Fail("STACK_GLOBAL needs two strings");
                    var module = Pop() as string ?? throw Fail("STACK_GLOBAL needs two strings");
                    Push(Global(module, name));
                    break;
                }
                case (byte)'R': // REDUCE
                {
                    var args = Pop() as PickleTuple ?? throw Fail("REDUCE arguments are not a tuple");
                    var callable = Pop();
                    Push(Reduce(callable, args));
                    break;
                }
                case (byte)'b': // BUILD: state for an object; only an OrderedDict's (its _metadata) is accepted, and dropped
                {
                    Pop();
                    if (Peek() is not PickleDict)
                        throw Fail($"BUILD on {Describe(Peek())}; only an OrderedDict's state is accepted");
                    break;
                }
                case (byte)'Q': // BINPERSID
                {
                    var pid = Pop() as PickleTuple ?? throw Fail("persistent id is not a tuple");
                    Push(_persistentLoad(pid, _baseOffset + _opcodeAt));
                    break;
                }
                case (byte)'q': Memo(ReadByte()); break; // BINPUT
                case (byte)'r': Memo(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4))); break; // LONG_BINPUT
                case 0x94: Memo(_memo.Count); break; // MEMOIZE
                case (byte)'h': Push(Recall(ReadByte())); break; // BINGET
                case (byte)'j': Push(Recall(BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(4)))); break; // LONG_BINGET
                default:
                    throw Fail($"pickle opcode 0x{op:x2} ('{(op is >= 0x20 and < 0x7f ? ((char)op).ToString() : "?")}') is not allowed in a state dict");
            }
        }
    }

    private object Global(string module, string name)
    {
        bool allowed = (module, name) switch
        {
            ("collections", "OrderedDict") => true,
            ("torch._utils", "_rebuild_tensor_v2") => true,
            ("torch._utils", "_rebuild_parameter") => true,
            ("torch", _) when StorageTypes.ContainsKey(name) => true,
            _ => false,
        };
        if (!allowed)
            throw Fail($"global '{module}.{name}' is not allowed (only collections.OrderedDict, torch._utils._rebuild_tensor_v2/_rebuild_parameter and torch storage types are read, as torch.load(weights_only=True) does)");
        return new PickleGlobal(module, name);
    }

    private object Reduce(object? callable, PickleTuple args)
    {
        switch (callable)
        {
            case PickleGlobal { Module: "collections", Name: "OrderedDict" }:
                if (args.Count != 0) throw Fail("OrderedDict called with arguments");
                return new PickleDict();
            case PickleGlobal { Module: "torch._utils", Name: "_rebuild_tensor_v2" }:
                return RebuildTensor(args);
            case PickleGlobal { Module: "torch._utils", Name: "_rebuild_parameter" }:
                if (args.Count < 1 || args[0] is not TensorRecord tensor) throw Fail("_rebuild_parameter without a tensor");
                return tensor;
            default:
                throw Fail($"REDUCE calls {Describe(callable)}, which is not callable here");
        }
    }

    private TensorRecord RebuildTensor(PickleTuple args)
    {
        // (storage, storage_offset, size, stride, requires_grad, backward_hooks[, metadata])
        if (args.Count < 4) throw Fail($"_rebuild_tensor_v2 with {args.Count} arguments");
        var storage = args[0] as StorageRef ?? throw Fail("_rebuild_tensor_v2's first argument is not a storage");
        long offset = args[1] as long? ?? throw Fail("tensor storage offset is not an integer");
        var shape = IntTuple(args[2], "size");
        var strides = IntTuple(args[3], "stride");
        if (shape.Length != strides.Length) throw Fail($"tensor has {shape.Length} sizes and {strides.Length} strides");
        if (offset < 0) throw Fail($"tensor storage offset {offset} is negative");
        long numel = 1, last = 0;
        try
        {
            for (int i = 0; i < shape.Length; i++)
            {
                if (shape[i] < 0) throw Fail($"tensor size {shape[i]} is negative");
                if (strides[i] < 0) throw Fail($"tensor stride {strides[i]} is negative");
                numel = checked(numel * shape[i]);
                if (shape[i] > 0) last = checked(last + checked((shape[i] - 1) * strides[i]));
            }
            long span = numel == 0 ? 0 : checked(last + 1);
            if (numel > 0 && checked(offset + span) > storage.Numel)
                throw Fail($"tensor of size {ShapeText.Format(shape)} and stride {ShapeText.Format(strides)} at offset {offset} reaches element {offset + span} of storage '{storage.Key}', which has {storage.Numel}");
            return new TensorRecord(storage, offset, shape, strides) { Span = span, Numel = numel };
        }
        catch (OverflowException)
        {
            throw Fail($"tensor size {ShapeText.Format(shape)}, stride {ShapeText.Format(strides)}, offset {offset} overflow 64 bits");
        }
    }

    private long[] IntTuple(object? value, string what)
    {
        if (value is not PickleTuple tuple) throw Fail($"tensor {what} is not a tuple");
        var result = new long[tuple.Count];
        for (int i = 0; i < result.Length; i++)
            result[i] = tuple[i] as long? ?? throw Fail($"tensor {what} has a non-integer (or out-of-range) entry");
        return result;
    }

    private object LongValue(byte[] bytes)
    {
        var value = new BigInteger(bytes, isUnsigned: false, isBigEndian: false);
        return value >= long.MinValue && value <= long.MaxValue ? (object)(long)value : value;
    }

    private void SetItem(object? target, object? key, object? value)
    {
        if (target is not PickleDict dict) throw Fail($"SETITEM on {Describe(target)}");
        if (key is null or PickleDict or List<object?>) throw Fail($"dict key {Describe(key)} is not accepted");
        dict.Set(key, value);
    }

    private List<object?> AsList(object? value) =>
        value as List<object?> ?? throw Fail($"APPEND on {Describe(value)}");

    private void PushTuple(int count)
    {
        if (_stack.Count - CurrentMarkFloor() < count) throw Fail($"TUPLE{count} with fewer than {count} values on the stack");
        var items = _stack.GetRange(_stack.Count - count, count).ToArray();
        _stack.RemoveRange(_stack.Count - count, count);
        Push(new PickleTuple(items));
    }

    private int CurrentMarkFloor() => _marks.Count == 0 ? 0 : _marks.Peek();

    private void Push(object? value) => _stack.Add(value);

    private object? Pop()
    {
        if (_stack.Count <= CurrentMarkFloor()) throw Fail("pickle stack underflow");
        var value = _stack[^1];
        _stack.RemoveAt(_stack.Count - 1);
        return value;
    }

    private object? Peek()
    {
        if (_stack.Count <= CurrentMarkFloor()) throw Fail("pickle stack underflow");
        return _stack[^1];
    }

    private List<object?> PopMark()
    {
        if (_marks.Count == 0) throw Fail("no MARK to pop to");
        int from = _marks.Pop();
        var items = _stack.GetRange(from, _stack.Count - from);
        _stack.RemoveRange(from, _stack.Count - from);
        return items;
    }

    private void Memo(long index)
    {
        if (_stack.Count == 0) throw Fail("PUT with an empty stack");
        _memo[index] = _stack[^1];
    }

    private object? Recall(long index) =>
        _memo.TryGetValue(index, out var value) ? value : throw Fail($"GET of memo {index}, which was never put");

    private static string Describe(object? value) => value switch
    {
        null => "None",
        PickleGlobal g => $"global {g}",
        PickleDict => "a dict",
        List<object?> => "a list",
        PickleTuple => "a tuple",
        TensorRecord => "a tensor",
        StorageRef => "a storage",
        string => "a string",
        _ => value.GetType().Name,
    };

    private byte ReadByte()
    {
        if (_position >= _limit) throw Fail("the pickle ends without STOP (truncated)");
        int b = _input.ReadByte();
        if (b < 0) throw Fail("the pickle ends without STOP (truncated)");
        _position++;
        return (byte)b;
    }

    private int ReadLength(int bytes)
    {
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(ReadBytes(bytes));
        if (length > _limit - _position) throw Fail($"a string of {length} bytes runs past the end of the pickle");
        return (int)length;
    }

    private byte[] ReadBytes(int count)
    {
        if (count > _limit - _position) throw Fail($"the pickle ends inside an opcode argument of {count} bytes (truncated)");
        var buffer = new byte[count];
        int done = 0;
        while (done < count)
        {
            int read = _input.Read(buffer, done, count - done);
            if (read == 0) throw Fail("the pickle ends inside an opcode argument (truncated)");
            done += read;
        }
        _position += count;
        return buffer;
    }

    private void Skip(int count) => ReadBytes(count);

    private string ReadString(int length)
    {
        var bytes = ReadBytes(length);
        try { return new UTF8Encoding(false, true).GetString(bytes); }
        catch (DecoderFallbackException) { throw Fail("a string is not valid UTF-8"); }
    }

    private string ReadLine()
    {
        var text = new StringBuilder();
        while (true)
        {
            byte b = ReadByte();
            if (b == (byte)'\n') return text.ToString();
            if (text.Length >= 256) throw Fail("a GLOBAL name is longer than 256 bytes");
            text.Append((char)b);
        }
    }
}
