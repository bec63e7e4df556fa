using System.Globalization;
using System.Text;

namespace CnnGen.Tool.PyTorch;

/// <summary>
/// What may be written into a Python file: identifiers checked against Python's keywords and PyTorch's own names, string
/// literals that escape every character but a few, numbers in Python's syntax, comments that cannot end their line. A
/// name from the YAML reaches the file only through these (or not at all).
/// </summary>
internal static class PythonText
{
    /// <summary>Python 3's keywords: none can be an attribute or a parameter.</summary>
    public static readonly IReadOnlySet<string> Keywords = new HashSet<string>(StringComparer.Ordinal)
    {
        "False", "None", "True", "and", "as", "assert", "async", "await", "break", "class", "continue", "def", "del", "elif",
        "else", "except", "finally", "for", "from", "global", "if", "import", "in", "is", "lambda", "nonlocal", "not", "or",
        "pass", "raise", "return", "try", "while", "with", "yield",
    };

    /// <summary>
    /// nn.Module's attributes and methods (torch 1.13 to 2.x): a submodule by one of these names cannot be registered
    /// (add_module refuses it) or would hide the method. Names beginning with '_' are refused as a whole.
    /// </summary>
    public static readonly IReadOnlySet<string> ModuleAttributes = new HashSet<string>(StringComparer.Ordinal)
    {
        "T_destination", "add_module", "apply", "bfloat16", "buffers", "call_super_init", "children", "compile", "cpu", "cuda",
        "double", "dump_patches", "eval", "extra_repr", "float", "forward", "get_buffer", "get_extra_state", "get_parameter",
        "get_submodule", "half", "ipu", "load_state_dict", "modules", "mtia", "named_buffers", "named_children",
        "named_modules", "named_parameters", "parameters", "register_backward_hook", "register_buffer",
        "register_forward_hook", "register_forward_pre_hook", "register_full_backward_hook",
        "register_full_backward_pre_hook", "register_load_state_dict_post_hook", "register_load_state_dict_pre_hook",
        "register_module", "register_parameter", "register_state_dict_hook", "register_state_dict_post_hook",
        "register_state_dict_pre_hook", "requires_grad_", "set_extra_state", "set_submodule", "share_memory", "state_dict",
        "to", "to_empty", "train", "training", "type", "xpu", "zero_grad",
    };

    /// <summary>Names the generated network class defines besides its modules.</summary>
    public static readonly IReadOnlySet<string> NetworkMembers = new HashSet<string>(StringComparer.Ordinal)
    {
        "forward_features", "forward_head", "forward_with_aux", "PARAMETERS", "ARGUMENTS",
    };

    /// <summary>
    /// Module-level names of every generated file (imports and helpers) and the built-ins the generated constructors
    /// call: a model argument by one of these names would hide it inside the constructor.
    /// </summary>
    public static readonly IReadOnlySet<string> FileNames = new HashSet<string>(StringComparer.Ordinal)
    {
        "self", "math", "torch", "nn", "F", "OrderedDict", "namedtuple",
        "abs", "float", "int", "isinstance", "len", "max", "min", "round", "sum", "super", "tuple", "RuntimeError", "ValueError",
        "print", "sorted", "enumerate", "range", "zip", "list",
    };

    public static bool IsAsciiIdentifier(string text)
    {
        if (text.Length == 0 || !(IsAsciiLetter(text[0]) || text[0] == '_')) return false;
        foreach (var c in text)
            if (!(IsAsciiLetter(c) || c is >= '0' and <= '9' || c == '_')) return false;
        return true;
    }

    /// <summary>A name Python accepts after a dot or as a parameter.</summary>
    public static bool IsPlainName(string text) => IsAsciiIdentifier(text) && !Keywords.Contains(text);

    public static bool IsDigits(string text) => text.Length > 0 && text.All(c => c is >= '0' and <= '9');

    private static bool IsAsciiLetter(char c) => c is >= 'a' and <= 'z' or >= 'A' and <= 'Z';

    /// <summary>A double-quoted Python string: letters, digits and a few marks as they are, everything else escaped.</summary>
    public static string Literal(string text)
    {
        var builder = new StringBuilder("\"");
        foreach (var c in text)
        {
            if (IsAsciiLetter(c) || c is >= '0' and <= '9' || c is '_' or '-' or '.' or ' ' or ',' or ':' or '(' or ')' or '%' or '/' or '=' or '+' or '*') builder.Append(c);
            else if (c < 0x100) builder.Append("\\x").Append(((int)c).ToString("x2", CultureInfo.InvariantCulture));
            else builder.Append("\\u").Append(((int)c).ToString("x4", CultureInfo.InvariantCulture));
        }
        return builder.Append('"').ToString();
    }

    /// <summary>Text for a comment: printable ASCII only, so it cannot end the line or hide anything.</summary>
    public static string Comment(string text) =>
        new(text.Select(c => c is >= ' ' and <= '~' ? c : '?').ToArray());

    public static string Float(double value)
    {
        if (double.IsNaN(value)) return "float(\"nan\")";
        if (double.IsPositiveInfinity(value)) return "float(\"inf\")";
        if (double.IsNegativeInfinity(value)) return "-float(\"inf\")";
        var text = value.ToString("R", CultureInfo.InvariantCulture);
        return text.Contains('.') || text.Contains('E') ? text : text + ".0";
    }

    public static string Int(long value) => value.ToString(CultureInfo.InvariantCulture);

    public static string Bool(bool value) => value ? "True" : "False";

    /// <summary>The YAML's lower_snake or kebab name as a class name: <c>inception_resnet-A</c> -> <c>InceptionResnetA</c>; null when nothing is left.</summary>
    public static string? ClassName(string text)
    {
        var builder = new StringBuilder();
        var upper = true;
        foreach (var c in text)
        {
            if (IsAsciiLetter(c) || c is >= '0' and <= '9')
            {
                builder.Append(upper ? char.ToUpperInvariant(c) : c);
                upper = false;
            }
            else upper = true;
        }
        if (builder.Length == 0) return null;
        if (!IsAsciiLetter(builder[0])) builder.Insert(0, "Block");
        return builder.ToString();
    }
}
