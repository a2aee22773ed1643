using System.Text.Json.Nodes;

namespace Sigil.LocalControlPlane.Catalog;

/// <summary>
/// One served resource (group, version, plural). Several may share one <see cref="StorageKey"/>:
/// core/v1 and events.k8s.io/v1 events, or the served versions of one CRD, are views of the same objects.
/// </summary>
internal sealed record ResourceType(
    string Group,
    string Version,
    string Plural,
    string Singular,
    string Kind,
    bool Namespaced,
    string StorageKey)
{
    public IReadOnlyList<string> ShortNames { get; init; } = [];
    public IReadOnlyList<string> Categories { get; init; } = [];
    public bool HasStatus { get; init; }
    /// <summary>Bumps metadata.generation when anything but metadata and status changes.</summary>
    public bool TracksGeneration { get; init; }
    /// <summary>Built-in kinds accept strategic merge patch; custom resources do not.</summary>
    public bool IsBuiltIn { get; init; } = true;
    /// <summary>The openAPIV3Schema of a CRD version; null for built-ins, which are not validated.</summary>
    public JsonObject? Schema { get; init; }
    public JsonArray? PrinterColumns { get; init; }
    /// <summary>What discovery says may be done; create-only kinds (access reviews) narrow it.</summary>
    public IReadOnlyList<string> Verbs { get; init; } = AllVerbs;
    /// <summary>The CRD version's x-kubernetes-validations, compiled once when the CRD is written; null when it has none.</summary>
    public ValidationRules.RuleNode? ValidationRules { get; init; }

    public string ListKind => Kind + "List";
    public string ApiVersion => Group.Length == 0 ? Version : $"{Group}/{Version}";
    public string GroupResource => Group.Length == 0 ? Plural : $"{Plural}.{Group}";
    public string KindGroup => Group.Length == 0 ? Kind : $"{Kind}.{Group}";

    public static readonly string[] AllVerbs = ["create", "delete", "deletecollection", "get", "list", "patch", "update", "watch"];
}
