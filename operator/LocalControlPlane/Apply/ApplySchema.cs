using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Catalog;
using Sigil.LocalControlPlane.KubeTypes;
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
/// keys. Custom resources answer from their CRD's openAPIV3Schema; built-in kinds from the OpenAPI schemas built
/// from Kubernetes' own generated.proto (<see cref="KubeOpenApiSchemas"/>), as kube-apiserver's structured-merge-diff
/// does from its OpenAPI: <c>x-kubernetes-list-type</c> and keys where the Go types mark them, else a list with patch
/// strategy <c>merge</c> is a map by its patch merge key (a set without one), else atomic.
/// </summary>
internal abstract class ApplySchema
{
    public static ApplySchema For(ResourceType type) =>
        type.Schema is { } schema ? new Described(schema, null, IsRoot: true)
        : KubeTypeDescriptors.Instance.FindKind(type.Group, type.Version, type.Kind) is { } message
            ? new Described(KubeOpenApiSchemas.SchemaOf(message), null, IsRoot: false)
            : Untyped.Instance;

    /// <summary>The shape of the value under <paramref name="name"/> when this node is an object.</summary>
    public abstract ApplySchema Field(string name);

    /// <summary>The shape of this list's items.</summary>
    public abstract ApplySchema Items { get; }

    /// <summary>A declared field of a struct, rather than a key of a map (only decides FieldsV1's <c>"."</c> entries).</summary>
    public abstract bool Declares(string name);

    public abstract bool IsAtomicMap { get; }

    public abstract ListSemantics List { get; }

    /// <summary>
    /// Strategic merge patch's reading of a list (<c>x-kubernetes-patch-strategy</c> with <c>merge</c>): whether it merges
    /// rather than being replaced, and the key its objects merge by (none for a list of scalars, which merges as a set).
    /// </summary>
    public abstract (bool Merges, string? MergeKey) Patch { get; }

    /// <summary>
    /// A node of an OpenAPI v3 schema. A field that refers to a component (<c>allOf: [{$ref}]</c>, as the built-in
    /// schemas do) keeps its own extensions (list type, map type) and takes the rest from the component.
    /// </summary>
    private sealed class Described : ApplySchema
    {
        private readonly JsonObject _own;
        private readonly JsonObject? _referenced;
        private readonly bool _isRoot;

        public Described(JsonObject own, JsonObject? referenced, bool IsRoot)
        {
            _own = own;
            _referenced = referenced ?? (own["allOf"] is JsonArray { Count: 1 } allOf && allOf[0]?["$ref"] is JsonValue reference
                ? KubeOpenApiSchemas.Component(reference.ToString()) : null);
            _isRoot = IsRoot;
        }

        private JsonNode? Get(string key) => _own[key] ?? _referenced?[key];

        public override ApplySchema Field(string name)
        {
            if (_isRoot && name == "metadata")
            {
                // metadata is always ObjectMeta, as in kube-apiserver, whatever a CRD's schema says of it.
                return new Described(KubeOpenApiSchemas.ObjectMeta, null, IsRoot: false);
            }
            if (Get("properties")?[name] is JsonObject property)
            {
                return new Described(property, null, IsRoot: false);
            }
            return Get("additionalProperties") is JsonObject additional ? new Described(additional, null, IsRoot: false) : Untyped.Instance;
        }

        public override ApplySchema Items => Get("items") is JsonObject items ? new Described(items, null, IsRoot: false) : Untyped.Instance;

        public override bool Declares(string name) => Get("properties") is JsonObject properties && properties.ContainsKey(name);

        public override bool IsAtomicMap => (Get("x-kubernetes-map-type") as JsonValue)?.ToString() == "atomic";

        public override (bool Merges, string? MergeKey) Patch =>
            (PatchStrategyMerges, (Get("x-kubernetes-patch-merge-key") as JsonValue)?.ToString());

        private bool PatchStrategyMerges => (Get("x-kubernetes-patch-strategy") as JsonValue)?.ToString()?.Split(',').Contains("merge") == true;

        public override ListSemantics List
        {
            get
            {
                var keys = (Get("x-kubernetes-list-map-keys") as JsonArray)?.Select(Json.ScalarText).OfType<string>().ToArray() ?? [];
                return (Get("x-kubernetes-list-type") as JsonValue)?.ToString() switch
                {
                    "set" => ListSemantics.Set,
                    "map" => new ListSemantics(ListType.Map, keys),
                    "atomic" => ListSemantics.Atomic,
                    // No list type: the strategic-merge markers decide, as structured-merge-diff reads them.
                    _ => PatchStrategyMerges
                        ? (Get("x-kubernetes-patch-merge-key") as JsonValue)?.ToString() is { } key ? ListSemantics.MapBy(key) : ListSemantics.Set
                        : ListSemantics.Atomic,
                };
            }
        }
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

        public override (bool Merges, string? MergeKey) Patch => (false, null);
    }
}
