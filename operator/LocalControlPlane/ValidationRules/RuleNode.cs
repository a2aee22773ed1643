using System.Text.Json.Nodes;
using Cel;

namespace Sigil.LocalControlPlane.ValidationRules;

/// <summary>One x-kubernetes-validations entry, compiled once when its CRD version is registered.</summary>
internal sealed record CompiledRule(
    string Rule,
    string? Message,
    CelProgramDelegate Program,
    CelProgramDelegate? MessageExpression,
    IReadOnlyList<PathStep> FieldPath,
    string Reason,
    bool UsesOldSelf)
{
    /// <summary>As kube-apiserver names a rule in errors: its message if it has one, else its text.</summary>
    public string ErrorString => string.IsNullOrWhiteSpace(Message) ? Rule.Trim() : Message.Trim();

    public string DefaultMessage => string.IsNullOrWhiteSpace(Message) ? $"failed rule: {ErrorString}" : Message.Trim();
}

/// <summary>One step of a field path: <c>.name</c> for a property, <c>[key]</c> for a map entry.</summary>
internal sealed record PathStep(string Name, bool IsKey)
{
    public static string Append(string path, PathStep step) => step.IsKey
        ? $"{path}[{step.Name}]"
        : path.Length == 0 ? step.Name : $"{path}.{step.Name}";

    public static string Append(string path, IEnumerable<PathStep> steps) => steps.Aggregate(path, Append);
}

/// <summary>
/// The rules of one CRD version laid over its schema, as kube-apiserver's CEL validator is: a node per schema
/// position that has rules itself or below it, so a write only walks where rules are.
/// </summary>
internal sealed class RuleNode
{
    public required JsonObject Schema { get; init; }
    /// <summary>The root of the resource or of an x-kubernetes-embedded-resource: apiVersion, kind and metadata.name are visible.</summary>
    public bool IsResourceRoot { get; init; }
    public IReadOnlyList<CompiledRule> Rules { get; init; } = [];
    public IReadOnlyDictionary<string, RuleNode> Properties { get; init; } = new Dictionary<string, RuleNode>();
    public RuleNode? Items { get; init; }
    public RuleNode? AdditionalProperties { get; init; }
    /// <summary>Children find their old value by key (false under x-kubernetes-map-type: atomic).</summary>
    public bool ChildrenCorrelate { get; init; } = true;
    /// <summary>For x-kubernetes-list-type: map, the keys that find an item's old value; otherwise items never correlate.</summary>
    public IReadOnlyList<string>? ListMapKeys { get; init; }

    /// <summary>A rule here or below names oldSelf, so an unchanged value must still be walked.</summary>
    public bool HasTransitionRules { get; init; }

    public string TypeName => Schema["type"]?.GetValue<string>() ?? "";
}
