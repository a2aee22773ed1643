using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Patching;

/// <summary>
/// RFC 6902 JSON patch (add, remove, replace, move, copy, test) over JSON pointers. Written here because
/// the mirror serves no System.Text.Json-node JSON Patch library (JsonPatch.Net is not served).
/// </summary>
internal static class JsonPatch
{
    public static JsonNode Apply(JsonNode target, JsonArray operations)
    {
        var document = target.DeepClone();
        foreach (var op in operations)
        {
            var kind = op.Str("op") ?? throw Invalid("an operation has no \"op\"");
            var path = op.Str("path") ?? throw Invalid($"\"{kind}\" has no \"path\"");
            switch (kind)
            {
                case "add":
                    document = Add(document, path, Value(op));
                    break;
                case "remove":
                    Remove(document, path);
                    break;
                case "replace":
                    Remove(document, path);
                    document = Add(document, path, Value(op));
                    break;
                case "move":
                    var moved = Get(document, From(op));
                    Remove(document, From(op));
                    document = Add(document, path, moved);
                    break;
                case "copy":
                    document = Add(document, path, Get(document, From(op))?.DeepClone());
                    break;
                case "test":
                    if (!JsonNode.DeepEquals(Get(document, path), op!["value"]))
                    {
                        throw new ApiException(422, "Invalid", $"the json patch test at \"{path}\" failed");
                    }
                    break;
                default:
                    throw Invalid($"unknown json patch operation \"{kind}\"");
            }
        }
        return document;
    }

    private static JsonNode? Value(JsonNode? op) =>
        op is JsonObject o && o.ContainsKey("value") ? o["value"]?.DeepClone() : throw Invalid("an operation has no \"value\"");

    private static string From(JsonNode? op) => op.Str("from") ?? throw Invalid("an operation has no \"from\"");

    private static string[] Tokens(string pointer) =>
        pointer.Length == 0 ? [] : pointer[1..].Split('/').Select(t => t.Replace("~1", "/").Replace("~0", "~")).ToArray();

    private static JsonNode? Get(JsonNode document, string pointer)
    {
        JsonNode? node = document;
        foreach (var token in Tokens(pointer))
        {
            node = node switch
            {
                JsonObject o when o.TryGetPropertyValue(token, out var child) => child,
                JsonArray a when int.TryParse(token, out var i) && i >= 0 && i < a.Count => a[i],
                _ => throw Invalid($"path \"{pointer}\" does not exist"),
            };
        }
        return node;
    }

    private static (JsonNode Parent, string Last) Parent(JsonNode document, string pointer)
    {
        var tokens = Tokens(pointer);
        if (tokens.Length == 0)
        {
            throw Invalid("the root cannot be the target of this operation");
        }
        var parentPointer = "/" + string.Join('/', tokens[..^1].Select(t => t.Replace("~", "~0").Replace("/", "~1")));
        var parent = tokens.Length == 1 ? document : Get(document, parentPointer);
        return (parent ?? throw Invalid($"path \"{pointer}\" does not exist"), tokens[^1]);
    }

    private static JsonNode Add(JsonNode document, string pointer, JsonNode? value)
    {
        if (pointer.Length == 0)
        {
            return value ?? throw Invalid("cannot replace the document with null");
        }
        var (parent, last) = Parent(document, pointer);
        switch (parent)
        {
            case JsonObject o:
                o[last] = value;
                break;
            case JsonArray a when last == "-":
                a.Add(value);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i <= a.Count:
                a.Insert(i, value);
                break;
            default:
                throw Invalid($"path \"{pointer}\" does not exist");
        }
        return document;
    }

    private static void Remove(JsonNode document, string pointer)
    {
        var (parent, last) = Parent(document, pointer);
        switch (parent)
        {
            case JsonObject o when o.ContainsKey(last):
                o.Remove(last);
                break;
            case JsonArray a when int.TryParse(last, out var i) && i >= 0 && i < a.Count:
                a.RemoveAt(i);
                break;
            default:
                throw Invalid($"path \"{pointer}\" does not exist");
        }
    }

    private static ApiException Invalid(string message) => new(422, "Invalid", $"the json patch could not be applied: {message}");
}
