using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Catalog;
using Sigil.LocalControlPlane.Patching;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Apply;

internal enum ListType
{
    Atomic,
    Set,
    Map,
}

/// <summary>How server-side apply treats a list: replaced whole, a set of values, or items merged by their keys.</summary>
internal sealed record ListSemantics(ListType Type, IReadOnlyList<string> Keys)
{
    public static readonly ListSemantics Atomic = new(ListType.Atomic, []);
    public static readonly ListSemantics Set = new(ListType.Set, []);

    public static ListSemantics MapBy(params string[] keys) => new(ListType.Map, keys);
}

/// <summary>
/// The one seam through which server-side apply learns the shape of a resource type: at each node, which
/// fields are declared (struct fields) rather than map keys, whether a map is atomic, and a list's type and
/// keys. Custom resources answer from their CRD's openAPIV3Schema; built-in kinds, for now, from the merge
/// keys strategic merge patch knows (those lists are map lists, other lists atomic). Pointing built-ins at
/// schemas generated from Kubernetes' types means replacing <see cref="BuiltIn"/> here and nothing else.
/// </summary>
internal abstract class ApplySchema
{
    public static ApplySchema For(ResourceType type) =>
        type.Schema is { } schema ? new CustomResource(schema, IsRoot: true) : new BuiltIn([]);

    /// <summary>The shape of the value under <paramref name="name"/> when this node is an object.</summary>
    public abstract ApplySchema Field(string name);

    /// <summary>The shape of this list's items.</summary>
    public abstract ApplySchema Items { get; }

    /// <summary>A declared field of a struct, rather than a key of a map (only decides FieldsV1's <c>"."</c> entries).</summary>
    public abstract bool Declares(string name);

    public abstract bool IsAtomicMap { get; }

    public abstract ListSemantics List { get; }

    /// <summary>Built-in kinds by field path, with strategic merge patch's merge keys standing in for their schemas.</summary>
    private sealed class BuiltIn(IReadOnlyList<string> path) : ApplySchema
    {
        // Fields whose values are maps with arbitrary keys (map[string]... in the Go types).
        private static readonly HashSet<string> Maps =
            ["labels", "annotations", "data", "binaryData", "stringData", "matchLabels", "nodeSelector", "limits", "requests", "capacity", "allocatable"];

        public override ApplySchema Field(string name) => new BuiltIn([.. path, name]);

        public override ApplySchema Items => this;

        public override bool Declares(string name) => path.Count == 0 || !Maps.Contains(path[^1]);

        // LabelSelector is +structType=atomic, and Service's selector +mapType=atomic.
        public override bool IsAtomicMap => path is [.., "spec", "selector"];

        public override ListSemantics List => path.Count == 0 ? ListSemantics.Atomic
            : StrategicMergePatch.MergeKeyFor(path) is { } key ? ListSemantics.MapBy(key)
            : StrategicMergePatch.IsMergedScalarList(path[^1]) ? ListSemantics.Set
            : ListSemantics.Atomic;
    }

    /// <summary>A CRD version's openAPIV3Schema node; metadata is always ObjectMeta, as in kube-apiserver.</summary>
    private sealed class CustomResource(JsonObject schema, bool IsRoot = false) : ApplySchema
    {
        public override ApplySchema Field(string name)
        {
            if (IsRoot && name == "metadata")
            {
                return new BuiltIn(["metadata"]);
            }
            if (schema["properties"]?[name] is JsonObject property)
            {
                return new CustomResource(property);
            }
            return schema["additionalProperties"] is JsonObject additional ? new CustomResource(additional) : Untyped.Instance;
        }

        public override ApplySchema Items => schema["items"] is JsonObject items ? new CustomResource(items) : Untyped.Instance;

        public override bool Declares(string name) => schema["properties"] is JsonObject properties && properties.ContainsKey(name);

        public override bool IsAtomicMap => schema.Str("x-kubernetes-map-type") == "atomic";

        public override ListSemantics List => schema.Str("x-kubernetes-list-type") switch
        {
            "set" => ListSemantics.Set,
            "map" => new ListSemantics(ListType.Map,
                (schema["x-kubernetes-list-map-keys"] as JsonArray)?.Select(Json.ScalarText).OfType<string>().ToArray() ?? []),
            _ => ListSemantics.Atomic,
        };
    }

    /// <summary>Where nothing is known (preserved unknown fields): objects merge key by key, lists are atomic.</summary>
    private sealed class Untyped : ApplySchema
    {
        public static readonly Untyped Instance = new();

        public override ApplySchema Field(string name) => this;

        public override ApplySchema Items => this;

        public override bool Declares(string name) => false;

        public override bool IsAtomicMap => false;

        public override ListSemantics List => ListSemantics.Atomic;
    }
}
