using System.Text;
using System.Text.Json.Nodes;
using Google.Protobuf.Reflection;

namespace Sigil.LocalControlPlane.KubeTypes;

/// <summary>
/// OpenAPI v3 component schemas for the built-in kinds, built from Kubernetes' own definitions as kube-apiserver
/// publishes them: named <c>io.k8s.api.apps.v1.Deployment</c>, described by the Go doc comments (here the proto
/// comments, <c>+marker</c> lines removed), with the markers as extensions (<c>+listType</c>, <c>+listMapKey</c>,
/// <c>+patchMergeKey</c>, <c>+patchStrategy</c>, <c>+mapType</c>, <c>+structType</c>) and
/// <c>x-kubernetes-group-version-kind</c> on the kinds that are served.
/// </summary>
internal static class KubeOpenApiSchemas
{
    public const string RefPrefix = "#/components/schemas/";

    public const string ApiVersionDescription = "APIVersion defines the versioned schema of this representation of an object. Servers should convert recognized schemas to the latest internal value, and may reject unrecognized values. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#resources";

    public const string KindDescription = "Kind is a string value representing the REST resource this object represents. Servers may infer this from the endpoint the client submits requests to. Cannot be updated. In CamelCase. More info: https://git.k8s.io/community/contributors/devel/sig-architecture/api-conventions.md#types-kinds";

    private static readonly Dictionary<string, JsonObject> Cache = new(StringComparer.Ordinal);
    private static readonly Lock CacheLock = new();

    /// <summary>The component name kube-apiserver gives a message: k8s.io.api.apps.v1.Deployment is io.k8s.api.apps.v1.Deployment.</summary>
    public static string ComponentName(MessageDescriptor message) => ComponentName(message.FullName);

    public static string ComponentName(string protoFullName) =>
        protoFullName.StartsWith("k8s.io.", StringComparison.Ordinal)
            ? "io.k8s." + protoFullName["k8s.io.".Length..].Replace("apiextensions_apiserver", "apiextensions-apiserver", StringComparison.Ordinal)
            : protoFullName;

    /// <summary>
    /// The schemas for these kinds and everything they reference, keyed by component name; each kind carries the
    /// group-version-kinds it is served as. Callers get copies they may change.
    /// </summary>
    public static JsonObject ClosureOf(IEnumerable<(MessageDescriptor Message, IReadOnlyList<(string Group, string Version, string Kind)> Kinds)> roots)
    {
        var schemas = new JsonObject();
        var pending = new Queue<MessageDescriptor>();
        var gvks = new Dictionary<string, List<(string Group, string Version, string Kind)>>(StringComparer.Ordinal);
        foreach (var (message, kinds) in roots)
        {
            (gvks.TryGetValue(message.FullName, out var list) ? list : gvks[message.FullName] = []).AddRange(kinds);
            pending.Enqueue(message);
        }
        while (pending.TryDequeue(out var message))
        {
            var name = ComponentName(message);
            if (schemas.ContainsKey(name))
            {
                continue;
            }
            var schema = SchemaOf(message).DeepClone().AsObject();
            if (gvks.TryGetValue(message.FullName, out var kinds))
            {
                // A served kind with no list (the access reviews) is still a kind: it embeds TypeMeta too.
                if (schema["properties"] is JsonObject properties && !properties.ContainsKey("apiVersion"))
                {
                    properties.Insert(0, "apiVersion", new JsonObject { ["description"] = ApiVersionDescription, ["type"] = "string" });
                    properties.Insert(1, "kind", new JsonObject { ["description"] = KindDescription, ["type"] = "string" });
                }
                schema["x-kubernetes-group-version-kind"] = new JsonArray([.. kinds.Distinct().Select(k =>
                    (JsonNode)new JsonObject { ["group"] = k.Group, ["kind"] = k.Kind, ["version"] = k.Version })]);
            }
            schemas[name] = schema;
            foreach (var referenced in References(message))
            {
                pending.Enqueue(referenced);
            }
        }
        return schemas;
    }

    private static IEnumerable<MessageDescriptor> References(MessageDescriptor message) =>
        KubeTypeDescriptors.JsonFields(message)
            .Where(f => f.FieldType == FieldType.Message)
            .Select(f => f.IsMap ? f.MessageType.FindFieldByNumber(2) : f)
            .Where(f => f.FieldType == FieldType.Message)
            .Select(f => f.MessageType);

    private static readonly Lazy<Dictionary<string, MessageDescriptor>> Components = new(() =>
        KubeTypeDescriptors.Instance.Messages.Values.DistinctBy(ComponentName).ToDictionary(ComponentName, StringComparer.Ordinal));

    /// <summary>The schema a <c>$ref</c> (<c>#/components/schemas/io.k8s...</c>) names, shared: clone it before changing it.</summary>
    public static JsonObject? Component(string reference) =>
        reference.StartsWith(RefPrefix, StringComparison.Ordinal) && Components.Value.TryGetValue(reference[RefPrefix.Length..], out var message)
            ? SchemaOf(message) : null;

    /// <summary>ObjectMeta's schema, which every kind's <c>metadata</c> is.</summary>
    public static JsonObject ObjectMeta => SchemaOf(KubeTypeDescriptors.Instance.Messages[$"{KubeTypeDescriptors.MetaPackage}.ObjectMeta"]);

    /// <summary>One message's schema, shared and cached: clone it before changing it.</summary>
    public static JsonObject SchemaOf(MessageDescriptor message)
    {
        lock (CacheLock)
        {
            if (!Cache.TryGetValue(message.FullName, out var schema))
            {
                Cache[message.FullName] = schema = Build(message);
            }
            return schema;
        }
    }

    private static JsonObject Build(MessageDescriptor message)
    {
        var comment = Comment.Parse(message.Declaration?.LeadingComments);
        var schema = Special(message.FullName)
            ?? (KubeTypeDescriptors.IsSliceWrapper(message) ? FieldSchema(message.FindFieldByNumber(1), Comment.Parse(null)) : ObjectSchema(message));
        if (comment.Description.Length > 0)
        {
            schema.Insert(0, "description", comment.Description);
        }
        if (comment.Marker("structType") is { } structType)
        {
            schema["x-kubernetes-map-type"] = structType;
        }
        return schema;
    }

    private static JsonObject ObjectSchema(MessageDescriptor message)
    {
        var properties = new JsonObject();
        var required = new List<string>();
        foreach (var field in KubeTypeDescriptors.JsonFields(message))
        {
            var comment = Comment.Parse(field.Declaration?.LeadingComments);
            var property = FieldSchema(field, comment);
            var name = KubeTypeDescriptors.JsonName(field);
            properties[name] = property;
            if ((comment.Has("required") || KubeTypeDescriptors.Instance.HasNoOmitEmpty(field)) && !comment.Has("optional"))
            {
                required.Add(name);
            }
        }
        if (KubeTypeDescriptors.Instance.IsKind(message))
        {
            // A kind embeds metav1.TypeMeta inline, which the proto leaves out.
            properties.Insert(0, "apiVersion", new JsonObject { ["description"] = ApiVersionDescription, ["type"] = "string" });
            properties.Insert(1, "kind", new JsonObject { ["description"] = KindDescription, ["type"] = "string" });
        }
        var schema = new JsonObject { ["type"] = "object", ["properties"] = properties };
        if (required.Count > 0)
        {
            schema["required"] = new JsonArray([.. required.Select(r => (JsonNode)r)]);
        }
        return schema;
    }

    private static JsonObject FieldSchema(FieldDescriptor field, Comment comment)
    {
        JsonObject schema;
        if (field.IsMap)
        {
            schema = new JsonObject { ["type"] = "object", ["additionalProperties"] = ValueSchema(field.MessageType.FindFieldByNumber(2)) };
        }
        else if (field.IsRepeated)
        {
            schema = new JsonObject { ["type"] = "array", ["items"] = ValueSchema(field) };
        }
        else
        {
            schema = ValueSchema(field);
        }
        if (comment.Description.Length > 0)
        {
            schema.Insert(0, "description", comment.Description);
        }
        if (field.IsRepeated && !field.IsMap && comment.Marker("listType") is { } listType)
        {
            schema["x-kubernetes-list-type"] = listType;
            if (comment.Markers("listMapKey") is { Count: > 0 } keys)
            {
                schema["x-kubernetes-list-map-keys"] = new JsonArray([.. keys.Select(k => (JsonNode)k)]);
            }
        }
        if (comment.Marker("mapType") is { } mapType)
        {
            schema["x-kubernetes-map-type"] = mapType;
        }
        if (comment.Marker("patchMergeKey") is { } mergeKey)
        {
            schema["x-kubernetes-patch-merge-key"] = mergeKey;
        }
        if (comment.Marker("patchStrategy") is { } strategy)
        {
            schema["x-kubernetes-patch-strategy"] = strategy;
        }
        return schema;
    }

    // A message field refers to its component through allOf, as kube-apiserver's v3 documents do, so that the
    // field's own description may stand beside the reference.
    private static JsonObject ValueSchema(FieldDescriptor field) => field.FieldType switch
    {
        FieldType.Message => new JsonObject { ["allOf"] = new JsonArray(new JsonObject { ["$ref"] = RefPrefix + ComponentName(field.MessageType) }) },
        FieldType.String => new JsonObject { ["type"] = "string" },
        FieldType.Bytes => new JsonObject { ["type"] = "string", ["format"] = "byte" },
        FieldType.Bool => new JsonObject { ["type"] = "boolean" },
        FieldType.Int32 or FieldType.SInt32 or FieldType.SFixed32 or FieldType.UInt32 or FieldType.Fixed32 =>
            new JsonObject { ["type"] = "integer", ["format"] = "int32" },
        FieldType.Double => new JsonObject { ["type"] = "number", ["format"] = "double" },
        FieldType.Float => new JsonObject { ["type"] = "number", ["format"] = "float" },
        _ => new JsonObject { ["type"] = "integer", ["format"] = "int64" },
    };

    /// <summary>The types whose JSON is not their message, as apimachinery's OpenAPI definitions give them.</summary>
    private static JsonObject? Special(string fullName) => fullName switch
    {
        $"{KubeTypeDescriptors.MetaPackage}.Time" or $"{KubeTypeDescriptors.MetaPackage}.MicroTime" =>
            new JsonObject { ["type"] = "string", ["format"] = "date-time" },
        $"{KubeTypeDescriptors.MetaPackage}.Duration" => new JsonObject { ["type"] = "string" },
        $"{KubeTypeDescriptors.MetaPackage}.FieldsV1" or "k8s.io.apimachinery.pkg.runtime.RawExtension" => new JsonObject { ["type"] = "object" },
        "k8s.io.apimachinery.pkg.api.resource.Quantity" or "k8s.io.apimachinery.pkg.api.resource.QuantityValue" => new JsonObject
        {
            ["oneOf"] = new JsonArray(new JsonObject { ["type"] = "string" }, new JsonObject { ["type"] = "number" }),
        },
        // No "type": kubectl explain then names the field's type after the component, <IntOrString>, as upstream.
        "k8s.io.apimachinery.pkg.util.intstr.IntOrString" => new JsonObject
        {
            ["oneOf"] = new JsonArray(new JsonObject { ["type"] = "integer" }, new JsonObject { ["type"] = "string" }),
            ["format"] = "int-or-string",
            ["x-kubernetes-int-or-string"] = true,
        },
        // Any JSON value, a schema or a bool, a schema or an array: no one type, and kubectl names them after the component.
        $"{KubeTypeDescriptors.ApiExtensionsPackage}.JSON" or $"{KubeTypeDescriptors.ApiExtensionsPackage}.JSONSchemaPropsOrBool"
            or $"{KubeTypeDescriptors.ApiExtensionsPackage}.JSONSchemaPropsOrArray"
            or $"{KubeTypeDescriptors.ApiExtensionsPackage}.JSONSchemaPropsOrStringArray" => [],
        _ => null,
    };

    /// <summary>A Go doc comment as go-to-protobuf copied it: prose lines, then <c>+name=value</c> markers.</summary>
    internal sealed class Comment
    {
        private readonly List<(string Name, string? Value)> _markers = [];

        public string Description { get; private init; } = "";

        public static Comment Parse(string? text)
        {
            var paragraphs = new List<string>();
            var current = new StringBuilder();
            var comment = new Comment();
            foreach (var rawLine in (text ?? "").Split('\n'))
            {
                var line = rawLine.Trim();
                if (line.StartsWith('+'))
                {
                    var eq = line.IndexOf('=', StringComparison.Ordinal);
                    comment._markers.Add(eq < 0 ? (line[1..], null) : (line[1..eq], line[(eq + 1)..]));
                    continue;
                }
                if (line == "---")
                {
                    break;
                }
                if (line.Length == 0)
                {
                    if (current.Length > 0)
                    {
                        paragraphs.Add(current.ToString());
                        current.Clear();
                    }
                    continue;
                }
                current.Append(current.Length > 0 ? " " : "").Append(line);
            }
            if (current.Length > 0)
            {
                paragraphs.Add(current.ToString());
            }
            return new Comment { Description = string.Join("\n\n", paragraphs) }.WithMarkers(comment._markers);
        }

        private Comment WithMarkers(List<(string Name, string? Value)> markers)
        {
            _markers.AddRange(markers);
            return this;
        }

        public bool Has(string name) => _markers.Any(m => m.Name == name);

        public string? Marker(string name) => _markers.LastOrDefault(m => m.Name == name && m.Value is not null).Value;

        public IReadOnlyList<string> Markers(string name) => [.. _markers.Where(m => m.Name == name && m.Value is not null).Select(m => m.Value!)];
    }
}
