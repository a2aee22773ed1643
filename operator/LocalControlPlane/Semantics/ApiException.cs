using System.Text.Json.Nodes;

namespace Sigil.LocalControlPlane.Semantics;

/// <summary>One field-level problem inside an Invalid (422) answer, as kube-apiserver reports it.</summary>
internal sealed record FieldCause(string Reason, string Field, string Message)
{
    public static FieldCause Invalid(string field, string detail) => new("FieldValueInvalid", field, $"{field}: {detail}");
    public static FieldCause Required(string field) => new("FieldValueRequired", field, $"{field}: Required value");
}

/// <summary>An API error that becomes a <c>Status</c> body with the matching HTTP code.</summary>
internal sealed class ApiException(int code, string reason, string message, JsonObject? details = null) : Exception(message)
{
    public int Code { get; } = code;
    public string Reason { get; } = reason;
    public JsonObject? Details { get; } = details;

    public JsonObject ToStatus() => new()
    {
        ["kind"] = "Status",
        ["apiVersion"] = "v1",
        ["metadata"] = new JsonObject(),
        ["status"] = "Failure",
        ["message"] = Message,
        ["reason"] = Reason,
        ["details"] = Details?.DeepClone(),
        ["code"] = Code,
    };

    public static ApiException NotFound(string groupResource, string name) =>
        new(404, "NotFound", $"{groupResource} \"{name}\" not found", DetailsFor(groupResource, name));

    public static ApiException AlreadyExists(string groupResource, string name) =>
        new(409, "AlreadyExists", $"{groupResource} \"{name}\" already exists", DetailsFor(groupResource, name));

    public static ApiException Conflict(string groupResource, string name) =>
        new(409, "Conflict",
            $"Operation cannot be fulfilled on {groupResource} \"{name}\": the object has been modified; please apply your changes to the latest version and try again",
            DetailsFor(groupResource, name));

    public static ApiException BadRequest(string message) => new(400, "BadRequest", message);

    public static ApiException MethodNotAllowed(string message) => new(405, "MethodNotAllowed", message);

    public static ApiException UnsupportedMediaType(string message) => new(415, "UnsupportedMediaType", message);

    public static ApiException Gone(string message) => new(410, "Expired", message);

    public static ApiException Invalid(string kindGroup, string name, IReadOnlyList<FieldCause> causes)
    {
        var summary = causes.Count == 1 ? causes[0].Message : "[" + string.Join(", ", causes.Select(c => c.Message)) + "]";
        var details = DetailsFor(kindGroup, name);
        details["kind"] = kindGroup.Split('.')[0];
        details["causes"] = new JsonArray(causes.Select(c => (JsonNode)new JsonObject
        {
            ["reason"] = c.Reason,
            ["message"] = c.Message[(c.Field.Length + 2)..],
            ["field"] = c.Field,
        }).ToArray());
        return new ApiException(422, "Invalid", $"{kindGroup} \"{name}\" is invalid: {summary}", details);
    }

    private static JsonObject DetailsFor(string groupResource, string name)
    {
        var dot = groupResource.IndexOf('.');
        var details = new JsonObject { ["name"] = name };
        if (dot > 0)
        {
            details["group"] = groupResource[(dot + 1)..];
        }
        details["kind"] = dot > 0 ? groupResource[..dot] : groupResource;
        return details;
    }
}
