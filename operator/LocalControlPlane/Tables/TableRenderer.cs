using System.Text.Json;
using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Catalog;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Tables;

/// <summary>
/// Server-side printing (<c>Accept: application/json;as=Table;g=meta.k8s.io;v=v1</c>), which is what
/// <c>kubectl get</c> asks for: CRDs print their additionalPrinterColumns, built-ins the columns a real
/// cluster shows for them.
/// </summary>
internal sealed class TableRenderer(TimeProvider time)
{
    private sealed record Column(string Name, string Type, string Format, string Description, int Priority, Func<JsonObject, JsonNode?> Cell);

    public JsonObject Render(ResourceType type, IReadOnlyList<JsonObject> objects, string includeObject, bool withHeaders, JsonObject listMetadata)
    {
        var columns = ColumnsFor(type);
        var table = new JsonObject
        {
            ["kind"] = "Table",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = listMetadata,
        };
        if (withHeaders)
        {
            table["columnDefinitions"] = new JsonArray(columns.Select(c => (JsonNode)new JsonObject
            {
                ["name"] = c.Name,
                ["type"] = c.Type,
                ["format"] = c.Format,
                ["description"] = c.Description,
                ["priority"] = c.Priority,
            }).ToArray());
        }
        table["rows"] = new JsonArray(objects.Select(o => (JsonNode)new JsonObject
        {
            ["cells"] = new JsonArray(columns.Select(c => c.Cell(o)).ToArray()),
            ["object"] = RowObject(o, includeObject),
        }).ToArray());
        return table;
    }

    private static JsonObject? RowObject(JsonObject obj, string includeObject) => includeObject switch
    {
        "None" => null,
        "Object" => obj.Clone(),
        _ => new JsonObject
        {
            ["kind"] = "PartialObjectMetadata",
            ["apiVersion"] = "meta.k8s.io/v1",
            ["metadata"] = obj.Metadata().DeepClone(),
        },
    };

    private List<Column> ColumnsFor(ResourceType type)
    {
        var name = new Column("Name", "string", "name", "Name must be unique within a namespace.", 0, o => o.Name());
        var age = new Column("Age", "string", "", "CreationTimestamp is a timestamp representing the server time when this object was created.", 0,
            o => Age(o.Metadata().Str("creationTimestamp")));
        if (!type.IsBuiltIn)
        {
            return [name, .. (type.PrinterColumns ?? []).OfType<JsonObject>().Select(PrinterColumn)];
        }
        return type.Plural switch
        {
            "secrets" => [name, Text("Type", o => o.Str("type")), Count("Data", "data"), age],
            "configmaps" => [name, Count("Data", "data"), age],
            "namespaces" => [name, Text("Status", o => Json.PathText(o, "status.phase") ?? "Active"), age],
            "services" => [name, Text("Type", o => Json.PathText(o, "spec.type") ?? "ClusterIP"),
                Text("Cluster-IP", o => Json.PathText(o, "spec.clusterIP") ?? "<none>"), Text("Port(s)", ServicePorts), age],
            "deployments" or "statefulsets" or "replicasets" => [name, Text("Ready", Readiness), age],
            "daemonsets" => [name, Text("Desired", o => Json.PathText(o, "status.desiredNumberScheduled") ?? "0"),
                Text("Ready", o => Json.PathText(o, "status.numberReady") ?? "0"), age],
            "leases" => [name, Text("Holder", o => Json.PathText(o, "spec.holderIdentity") ?? ""), age],
            "customresourcedefinitions" => [name, Text("Created At", o => o.Metadata().Str("creationTimestamp"))],
            "clustertrustbundles" => [name, Text("SignerName", o => Json.PathText(o, "spec.signerName") is { Length: > 0 } signer ? signer : "<none>")],
            "events" when type.Group.Length == 0 => [
                Text("Last Seen", o => Age(o.Str("lastTimestamp") ?? o.Str("eventTime") ?? o.Metadata().Str("creationTimestamp"))),
                Text("Type", o => o.Str("type")), Text("Reason", o => o.Str("reason")),
                Text("Object", o => $"{Json.PathText(o, "involvedObject.kind")?.ToLowerInvariant()}/{Json.PathText(o, "involvedObject.name")}"),
                Text("Message", o => o.Str("message"))],
            _ => [name, age],
        };
    }

    private Column PrinterColumn(JsonObject c)
    {
        var type = c.Str("type") ?? "string";
        var jsonPath = c.Str("jsonPath") ?? "";
        return new Column(c.Str("name") ?? "", type, c.Str("format") ?? "", c.Str("description") ?? "", c["priority"]?.GetValue<int>() ?? 0, o =>
        {
            var matches = JsonPathLite.Evaluate(o, jsonPath);
            var value = matches.Count > 0 ? matches[0] : null;
            if (value is null)
            {
                return null;
            }
            return type switch
            {
                "date" => Age(Json.ScalarText(value)),
                "integer" or "number" when value.GetValueKind() == JsonValueKind.Number => value.DeepClone(),
                "boolean" when value.GetValueKind() is JsonValueKind.True or JsonValueKind.False => value.DeepClone(),
                _ => Json.ScalarText(value),
            };
        });
    }

    private static Column Text(string name, Func<JsonObject, string?> cell) => new(name, "string", "", "", 0, o => cell(o));

    private static Column Count(string name, string field) =>
        new(name, "integer", "", "", 0, o => (o[field] as JsonObject)?.Count ?? 0);

    private string Age(string? timestamp) =>
        DateTimeOffset.TryParse(timestamp, out var t) ? HumanDuration.Format(time.GetUtcNow() - t) : "<unknown>";

    private static string Readiness(JsonObject o) =>
        $"{Json.PathText(o, "status.readyReplicas") ?? "0"}/{Json.PathText(o, "spec.replicas") ?? "1"}";

    private static string ServicePorts(JsonObject o) =>
        Json.PathText(o, "spec.ports") is null ? "<none>" : string.Join(",", ((JsonArray)o["spec"]!["ports"]!).Select(p =>
            $"{Json.PathText(p, "port")}/{Json.PathText(p, "protocol") ?? "TCP"}"));
}
