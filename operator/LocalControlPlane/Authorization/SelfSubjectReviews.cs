using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Authorization;

/// <summary>
/// authentication.k8s.io/v1 SelfSubjectReview (<c>kubectl auth whoami</c>): who the request acts as, after
/// impersonation, which every authenticated user may ask (system:basic-user grants it).
/// </summary>
internal static class SelfSubjectReviews
{
    public const string Group = "authentication.k8s.io";

    public static JsonObject Answer(JsonObject body, UserInfo user)
    {
        if ((body["metadata"] as JsonObject ?? []).Any(p => p.Value is not null && Json.ScalarText(p.Value) is not ("" or "{}" or "[]")))
        {
            throw ApiException.Invalid($"SelfSubjectReview.{Group}", "", [FieldCause.Invalid("metadata", "Invalid value: \"<value omitted>\": must be empty")]);
        }
        var userInfo = new JsonObject
        {
            ["username"] = user.Name,
            ["groups"] = new JsonArray([.. user.Groups.Select(g => (JsonNode?)JsonValue.Create(g))]),
        };
        if (user.Uid is { } uid)
        {
            userInfo["uid"] = uid;
        }
        if (user.Extra is { Count: > 0 } extra)
        {
            userInfo["extra"] = new JsonObject(extra.Select(e =>
                KeyValuePair.Create(e.Key, (JsonNode?)new JsonArray([.. e.Value.Select(v => (JsonNode?)JsonValue.Create(v))]))));
        }
        return new JsonObject
        {
            ["kind"] = "SelfSubjectReview",
            ["apiVersion"] = $"{Group}/v1",
            ["metadata"] = new JsonObject { ["creationTimestamp"] = null },
            ["status"] = new JsonObject { ["userInfo"] = userInfo },
        };
    }
}
