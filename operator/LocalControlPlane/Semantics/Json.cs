using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sigil.LocalControlPlane.Semantics;

/// <summary>Small helpers over System.Text.Json nodes, the emulator's one object representation.</summary>
internal static class Json
{
    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false };

    public static JsonObject Metadata(this JsonObject obj)
    {
        if (obj["metadata"] is JsonObject m)
        {
            return m;
        }
        var created = new JsonObject();
        obj["metadata"] = created;
        return created;
    }

    public static string? Str(this JsonNode? node, string property) =>
        node is JsonObject o && o[property] is JsonValue v && v.TryGetValue<string>(out var s) ? s : null;

    public static string Name(this JsonObject obj) => obj.Metadata().Str("name") ?? "";

    public static string Namespace(this JsonObject obj) => obj.Metadata().Str("namespace") ?? "";

    public static string Uid(this JsonObject obj) => obj.Metadata().Str("uid") ?? "";

    public static long ResourceVersion(this JsonObject obj) =>
        long.TryParse(obj.Metadata().Str("resourceVersion"), out var rv) ? rv : 0;

    public static JsonObject Clone(this JsonObject obj) => (JsonObject)obj.DeepClone();

    public static JsonObject ParseObject(string text)
    {
        JsonNode? node;
        try
        {
            node = JsonNode.Parse(text);
        }
        catch (JsonException e)
        {
            throw ApiException.BadRequest($"the request body is not valid JSON: {e.Message}");
        }
        return node as JsonObject ?? throw ApiException.BadRequest("the request body must be a JSON object");
    }

    /// <summary>As kube-apiserver writes times: RFC 3339, UTC, to the second (<c>2026-11-27T19:25:22Z</c>).</summary>
    public static string Timestamp(DateTimeOffset t) => t.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);

    /// <summary>Follows a dotted path (<c>metadata.name</c>, <c>involvedObject.kind</c>) to a scalar's text.</summary>
    public static string? PathText(JsonNode? node, string dottedPath)
    {
        foreach (var part in dottedPath.Split('.'))
        {
            node = node is JsonObject o ? o[part] : null;
            if (node is null)
            {
                return null;
            }
        }
        return ScalarText(node);
    }

    /// <summary>Any JSON number, whether parsed from text or built in code with an int or a long.</summary>
    public static double Number(JsonNode node) => double.Parse(node.ToJsonString(), CultureInfo.InvariantCulture);

    public static string? ScalarText(JsonNode? node) => node switch
    {
        JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
        JsonValue v => v.ToJsonString(),
        null => null,
        _ => node.ToJsonString(),
    };
}
