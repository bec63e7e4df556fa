using System.Text;
using CnnGen.Generator.Graph;

namespace CnnGen.Tool.PyTorch;

/// <summary>A number, flag or size as Python text in the network constructor's scope, and whether it is a constant.</summary>
internal readonly record struct PyValue(string Text, bool Literal)
{
    public static PyValue Of(long value) => new(PythonText.Int(value), true);

    public static PyValue Of(double value) => new(PythonText.Float(value), true);

    public static PyValue Of(bool value) => new(PythonText.Bool(value), true);

    public static PyValue Of(Pair pair) => new(pair.IsSquare ? PythonText.Int(pair.H) : $"({PythonText.Int(pair.H)}, {PythonText.Int(pair.W)})", true);
}

/// <summary>
/// A place in a class's code where an instance's number goes (<c>out_channels</c> of a convolution, a stride, a
/// dropout rate): instances of one block with the same code share a class, and the holes that differ between
/// them (or follow a model argument) become its constructor's parameters.
/// </summary>
/// <param name="Attribute">What the number is to the layer (<c>stride</c>, <c>out_channels</c>), for naming a parameter.</param>
/// <param name="Local">The layer's path inside the class (<c>conv1</c>, <c>downsample_0</c>), for naming a parameter.</param>
/// <param name="Forward">Used in forward (so a parameter is kept on the module) rather than in the constructor.</param>
internal sealed record Hole(PyValue Value, string Attribute, string Local, bool Forward);

/// <summary>
/// Code with holes: text where each hole is a marker that <see cref="Render"/> replaces by a constant, a parameter
/// or an attribute. An optional keyword argument disappears when its value is the default.
/// </summary>
internal sealed class Template
{
    private const char Open = '\uE000';
    private const char OptionalOpen = '\uE002';
    private const char Separator = '\uE003';
    private const char Close = '\uE001';

    private readonly StringBuilder _text = new();

    public Template(List<Hole> holes, bool forward)
    {
        Holes = holes;
        IsForward = forward;
    }

    public List<Hole> Holes { get; }

    public bool IsForward { get; }

    public Template Add(string text)
    {
        _text.Append(text);
        return this;
    }

    public Template Value(PyValue value, string attribute, string local)
    {
        Holes.Add(new Hole(value, attribute, local, IsForward));
        _text.Append(Open).Append(PythonText.Int(Holes.Count - 1)).Append(Close);
        return this;
    }

    /// <summary><paramref name="prefix"/>, the value and <paramref name="suffix"/>, or nothing when the value is <paramref name="default"/>.</summary>
    public Template Optional(string prefix, PyValue value, string @default, string attribute, string local, string suffix = "")
    {
        Holes.Add(new Hole(value, attribute, local, IsForward));
        _text.Append(OptionalOpen).Append(PythonText.Int(Holes.Count - 1)).Append(Separator).Append(prefix).Append(Separator)
            .Append(suffix).Append(Separator).Append(@default).Append(Close);
        return this;
    }

    /// <summary>A keyword argument <c>, name=value</c> left out at its default.</summary>
    public Template Keyword(string name, PyValue value, string @default, string local) => Optional($", {name}=", value, @default, name, local);

    public string Text => _text.ToString();

    /// <summary>The text with every hole replaced by <paramref name="resolve"/>'s text for it.</summary>
    public static string Render(string text, Func<int, string> resolve)
    {
        var builder = new StringBuilder();
        for (var i = 0; i < text.Length; i++)
        {
            var c = text[i];
            if (c == Open)
            {
                var end = text.IndexOf(Close, i);
                builder.Append(resolve(int.Parse(text.AsSpan(i + 1, end - i - 1), System.Globalization.CultureInfo.InvariantCulture)));
                i = end;
            }
            else if (c == OptionalOpen)
            {
                var end = text.IndexOf(Close, i);
                var parts = text.Substring(i + 1, end - i - 1).Split(Separator);
                var value = resolve(int.Parse(parts[0], System.Globalization.CultureInfo.InvariantCulture));
                if (value != parts[3]) builder.Append(parts[1]).Append(value).Append(parts[2]);
                i = end;
            }
            else builder.Append(c);
        }
        return builder.ToString();
    }
}
