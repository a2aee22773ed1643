using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Apply;

/// <summary>
/// One entry of <c>metadata.managedFields</c>: who (manager, operation, subresource) owns which fields.
/// Apply entries are one per manager; Update entries are one per manager and API version, as in kube-apiserver.
/// </summary>
internal sealed record ManagedFieldsEntry(string Manager, string Operation, string ApiVersion, string? Time, string? Subresource, FieldSet Fields)
{
    public const string Apply = "Apply";
    public const string Update = "Update";

    public bool IsSameOwner(ManagedFieldsEntry other) =>
        Manager == other.Manager && Operation == other.Operation && Subresource == other.Subresource
        && (Operation == Apply || ApiVersion == other.ApiVersion);

    /// <summary>As kube-apiserver names a manager in conflict messages: <c>"kubectl-client-side-apply" using apps/v1</c>.</summary>
    public string Describe()
    {
        var text = System.Text.Json.JsonSerializer.Serialize(Manager);
        if (!string.IsNullOrEmpty(Subresource))
        {
            text += $" with subresource {System.Text.Json.JsonSerializer.Serialize(Subresource)}";
        }
        return Operation == Update ? $"{text} using {ApiVersion}" : text;
    }

    /// <summary>Reads <c>metadata.managedFields</c>; null when any entry is not valid (kube-apiserver then ignores them all).</summary>
    public static List<ManagedFieldsEntry>? Decode(JsonNode? managedFields)
    {
        if (managedFields is null)
        {
            return [];
        }
        if (managedFields is not JsonArray entries)
        {
            return null;
        }
        var decoded = new List<ManagedFieldsEntry>();
        foreach (var node in entries)
        {
            if (node is not JsonObject entry || entry.Str("operation") is not (Apply or Update) || entry.Str("fieldsType") != "FieldsV1"
                || FieldSet.FromFieldsV1(entry["fieldsV1"] ?? new JsonObject()) is not { } fields)
            {
                return null;
            }
            var owner = new ManagedFieldsEntry(entry.Str("manager") ?? "", entry.Str("operation")!, entry.Str("apiVersion") ?? "",
                entry.Str("time"), entry.Str("subresource") is { Length: > 0 } s ? s : null, fields);
            if (decoded.Any(d => d.IsSameOwner(owner)))
            {
                return null;
            }
            decoded.Add(owner);
        }
        return decoded;
    }

    /// <summary><c>managedFields: [{}]</c> is how a client clears them.</summary>
    public static bool IsReset(JsonNode? managedFields) => managedFields is JsonArray { Count: 1 } list && list[0] is JsonObject { Count: 0 };

    /// <summary>Writes entries in kube-apiserver's order: Apply before Update, then by time, manager, version, subresource.</summary>
    public static JsonArray Encode(IEnumerable<ManagedFieldsEntry> entries) => new(entries
        .Where(e => !e.Fields.IsEmpty)
        .OrderBy(e => e.Operation, StringComparer.Ordinal)
        .ThenBy(e => e.Time ?? "", StringComparer.Ordinal)
        .ThenBy(e => e.Manager, StringComparer.Ordinal)
        .ThenBy(e => e.ApiVersion, StringComparer.Ordinal)
        .ThenBy(e => e.Subresource ?? "", StringComparer.Ordinal)
        .Select(e =>
        {
            var json = new JsonObject { ["manager"] = e.Manager, ["operation"] = e.Operation, ["apiVersion"] = e.ApiVersion };
            if (e.Time is not null)
            {
                json["time"] = e.Time;
            }
            json["fieldsType"] = "FieldsV1";
            json["fieldsV1"] = e.Fields.ToFieldsV1();
            if (e.Subresource is not null)
            {
                json["subresource"] = e.Subresource;
            }
            return (JsonNode)json;
        })
        .ToArray());
}
