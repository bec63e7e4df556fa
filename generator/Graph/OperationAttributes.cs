using System.Collections.Generic;
using System.Linq;
using System.Reflection;
using System.Text;

namespace CnnGen.Generator.Graph;

/// <summary>
/// An operation's attributes as its readers name them: the record's own properties in declaration order, under
/// snake_case names (<c>ceil_mode</c>, <c>count_include_pad</c>). The graph's JSON and the text the generated class
/// carries both read them here, so a new layer kind's operation reaches every reader without a change.
/// </summary>
public static class OperationAttributes
{
    /// <summary>The attributes of an operation (or of a record inside one, a C# layer's argument), in order.</summary>
    public static IEnumerable<(string Name, object? Value)> Of(object record) =>
        Properties(record.GetType()).Select(property => (SnakeCase(property.Name), (object?)property.GetValue(record)));

    private static IEnumerable<PropertyInfo> Properties(System.Type type) =>
        type.GetRuntimeProperties()
            .Where(property => property.GetMethod is { IsPublic: true, IsStatic: false }
                               && property.Name != nameof(Operation.Kind) && property.Name != "EqualityContract"
                               && property.GetIndexParameters().Length == 0)
            .OrderBy(property => property.MetadataToken);

    /// <summary><c>CountIncludePad</c> to <c>count_include_pad</c>.</summary>
    public static string SnakeCase(string name)
    {
        var builder = new StringBuilder(name.Length + 4);
        for (var i = 0; i < name.Length; i++)
        {
            if (char.IsUpper(name[i]) && i > 0 && (char.IsLower(name[i - 1]) || char.IsDigit(name[i - 1]))) builder.Append('_');
            builder.Append(char.ToLowerInvariant(name[i]));
        }
        return builder.ToString();
    }
}
