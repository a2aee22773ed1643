using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace Sigil.LocalControlPlane.Semantics;

/// <summary>Small helpers over System.Text.Json nodes, the emulator's one object representation.</summary>
internal static class Json
{
    /// <summary>
    /// How deep any request body may nest, whether it arrives as JSON, YAML or protobuf: System.Text.Json's reader
    /// default, and <see cref="KubeTypes.ProtobufObjectReader"/>'s message limit.
    /// </summary>
    public const int MaxInputDepth = 64;

    /// <summary>
    /// Responses wrap objects (a list in <c>items: [...]</c>, a watch event in <c>object</c>, a Table in
    /// <c>rows[].object</c>), so the writer must go well past <see cref="MaxInputDepth"/>: at the writer's default
    /// of 64, one object nested 64 deep turned every list of its kind into a 500.
    /// </summary>
    public const int MaxOutputDepth = 256;

    public const string TooDeep = "the request body nests deeper than 64 levels, the most the sigil local control plane accepts";

    public static readonly JsonSerializerOptions Compact = new() { WriteIndented = false, MaxDepth = MaxOutputDepth };

    private static readonly JsonDocumentOptions Input = new() { MaxDepth = MaxInputDepth };

    /// <summary>
    /// Refuses an object that nests deeper than <see cref="MaxInputDepth"/>. Readers check as they read; this catches
    /// what they cannot see: protobuf messages whose lists and embedded JSON add levels, and patches that place a
    /// value deep inside the object they patch.
    /// </summary>
    /// <remarks>
    /// With <paramref name="exceptManagedFields"/>, <c>metadata.managedFields</c> is held to
    /// <see cref="MaxInputDepth"/> plus <see cref="ManagedFieldsHeadroom"/> instead: a field set mirrors the
    /// object's shape a few levels down, so an object at the limit has field sets beyond it. They are still bounded,
    /// or a patch that copies a field set into itself could double its depth each time.
    /// </remarks>
    public static void RequireDepthWithinLimit(JsonObject root, bool exceptManagedFields = false)
    {
        if (exceptManagedFields && root["metadata"] is JsonObject metadata && metadata["managedFields"] is { } managedFields)
        {
            RequireDepth(managedFields, 3, MaxInputDepth + ManagedFieldsHeadroom, exceptManagedFields: false, root);
        }
        RequireDepth(root, 1, MaxInputDepth, exceptManagedFields, root);
    }

    /// <summary>metadata, managedFields, the entry and fieldsV1 sit above the first field of a field set.</summary>
    public const int ManagedFieldsHeadroom = 8;

    private static void RequireDepth(JsonNode start, int startDepth, int limit, bool exceptManagedFields, JsonObject root)
    {
        var pending = new Stack<(JsonNode Node, int Depth)>();
        pending.Push((start, startDepth));
        while (pending.TryPop(out var item))
        {
            if (item.Depth > limit)
            {
                throw ApiException.BadRequest(TooDeep);
            }
            IEnumerable<JsonNode?> children = item.Node switch
            {
                JsonObject o when exceptManagedFields && ReferenceEquals(o, root["metadata"]) =>
                    o.Where(p => p.Key != "managedFields").Select(p => p.Value),
                JsonObject o => o.Select(p => p.Value),
                JsonArray a => a,
                _ => [],
            };
            foreach (var child in children)
            {
                if (child is JsonObject or JsonArray)
                {
                    pending.Push((child, item.Depth + 1));
                }
            }
        }
    }

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
            node = JsonNode.Parse(text, documentOptions: Input);
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
