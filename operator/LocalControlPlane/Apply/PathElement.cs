using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sigil.LocalControlPlane.Apply;

/// <summary>
/// One step of a field path as structured-merge-diff names it: a field (<c>f:</c>), a map-list item by its
/// keys (<c>k:</c>, the keys as a JSON object sorted by name), a set-list item by its value (<c>v:</c>), or a
/// list index (<c>i:</c>). <see cref="Text"/> is the canonical text, so equal elements compare equal as strings.
/// </summary>
internal readonly record struct PathElement(char Kind, string Text) : IComparable<PathElement>
{
    public static PathElement Field(string name) => new('f', name);

    public static PathElement Key(IEnumerable<KeyValuePair<string, JsonNode?>> keys) =>
        new('k', new JsonObject(keys.OrderBy(k => k.Key, StringComparer.Ordinal)
            .Select(k => KeyValuePair.Create(k.Key, k.Value?.DeepClone()))).ToJsonString(Canonical));

    public static PathElement Value(JsonNode? value) => new('v', Canonicalize(value));

    public static PathElement Index(int index) => new('i', index.ToString(System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Parses a FieldsV1 key (<c>f:spec</c>, <c>k:{"name":"app"}</c>, <c>v:"a"</c>, <c>i:0</c>).</summary>
    public static PathElement? Parse(string fieldsV1Key)
    {
        if (fieldsV1Key.Length < 2 || fieldsV1Key[1] != ':' || fieldsV1Key[0] is not ('f' or 'k' or 'v' or 'i'))
        {
            return null;
        }
        var text = fieldsV1Key[2..];
        try
        {
            return fieldsV1Key[0] switch
            {
                'k' => JsonNode.Parse(text) is JsonObject keys ? Key(keys) : null,
                'v' => Value(JsonNode.Parse(text)),
                'i' => int.TryParse(text, out var i) ? Index(i) : null,
                _ => Field(text),
            };
        }
        catch (JsonException)
        {
            return null;
        }
    }

    public string FieldsV1Key => $"{Kind}:{Text}";

    /// <summary>As kube-apiserver prints a path in conflict messages: <c>.spec.containers[name="app"].image</c>.</summary>
    public override string ToString() => Kind switch
    {
        'f' => "." + Text,
        'k' => "[" + string.Join(",", ((JsonObject)JsonNode.Parse(Text)!).Select(p => $"{p.Key}={Display(p.Value)}")) + "]",
        'v' => "[=" + Display(JsonNode.Parse(Text)) + "]",
        _ => "[" + Text + "]",
    };

    public int CompareTo(PathElement other) =>
        Kind != other.Kind ? Order(Kind).CompareTo(Order(other.Kind)) : string.CompareOrdinal(Text, other.Text);

    private static int Order(char kind) => "fkvi".IndexOf(kind);

    private static string Display(JsonNode? value) => value is null ? "null" : value.ToJsonString(Canonical);

    private static string Canonicalize(JsonNode? value) => value switch
    {
        null => "null",
        JsonObject o => new JsonObject(o.OrderBy(p => p.Key, StringComparer.Ordinal)
            .Select(p => KeyValuePair.Create(p.Key, (JsonNode?)JsonNode.Parse(Canonicalize(p.Value))))).ToJsonString(Canonical),
        _ => value.ToJsonString(Canonical),
    };

    private static readonly JsonSerializerOptions Canonical = new()
    {
        WriteIndented = false,
        Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
    };
}
