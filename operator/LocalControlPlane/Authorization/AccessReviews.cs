using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Authorization;

/// <summary>
/// authorization.k8s.io/v1's four create-only kinds, answered by the same <see cref="RbacPolicy"/> that guards every
/// request: SelfSubjectAccessReview (may I?), SubjectAccessReview (may this user?), LocalSubjectAccessReview (may this
/// user, in this namespace?) and SelfSubjectRulesReview (what may I do here?, behind <c>kubectl auth can-i --list</c>).
/// Who may create the latter two kinds is decided before this, like any other create; everyone authenticated may
/// create the self reviews, as the bootstrap system:basic-user ClusterRole lets them.
/// </summary>
internal static class AccessReviews
{
    public const string Group = "authorization.k8s.io";

    /// <summary>The review as the API server returns it: the request's spec, with the answer in status.</summary>
    public static JsonObject Answer(string kind, string? requestNamespace, JsonObject body, UserInfo requester, IRbacObjects rbac)
    {
        var metadata = body["metadata"] as JsonObject ?? [];
        var spec = body["spec"] as JsonObject ?? [];
        var causes = MetadataProblems(kind, metadata, requestNamespace);
        JsonObject? status = null;
        switch (kind)
        {
            case "SelfSubjectRulesReview":
                status = RulesStatus(requester, spec.Str("namespace"), rbac);
                break;
            case "SelfSubjectAccessReview":
                causes.AddRange(AttributeProblems(spec));
                if (causes.Count == 0)
                {
                    status = DecisionStatus(RbacPolicy.Decide(requester, Attributes(spec), rbac));
                }
                break;
            case "SubjectAccessReview" or "LocalSubjectAccessReview":
                causes.AddRange(AttributeProblems(spec));
                causes.AddRange(SubjectProblems(spec));
                if (kind == "LocalSubjectAccessReview")
                {
                    causes.AddRange(LocalProblems(spec, requestNamespace ?? ""));
                }
                if (causes.Count == 0)
                {
                    status = DecisionStatus(RbacPolicy.Decide(Subject(spec), Attributes(spec), rbac));
                }
                break;
            default:
                throw ApiException.MethodNotAllowed($"{kind} is not an access review");
        }
        if (causes.Count > 0 || status is null)
        {
            throw ApiException.Invalid($"{kind}.{Group}", "", causes);
        }
        var answerMetadata = new JsonObject { ["creationTimestamp"] = null };
        if (kind == "LocalSubjectAccessReview")
        {
            answerMetadata["namespace"] = requestNamespace;
        }
        return new JsonObject
        {
            ["kind"] = kind,
            ["apiVersion"] = $"{Group}/v1",
            ["metadata"] = answerMetadata,
            ["spec"] = spec.DeepClone(),
            ["status"] = status,
        };
    }

    /// <summary>The attributes a review asks about: its resourceAttributes, or its nonResourceAttributes.</summary>
    public static AccessAttributes Attributes(JsonObject spec)
    {
        if (spec["resourceAttributes"] is JsonObject r)
        {
            return new AccessAttributes(r.Str("verb") ?? "", r.Str("group") ?? "", r.Str("resource") ?? "",
                Nonempty(r.Str("subresource")), Nonempty(r.Str("namespace")), Nonempty(r.Str("name")));
        }
        var n = spec["nonResourceAttributes"] as JsonObject ?? [];
        return AccessAttributes.NonResource(n.Str("verb") ?? "", n.Str("path") ?? "");
    }

    /// <summary>The user a SubjectAccessReview names, exactly as named: no groups are added, as kube-apiserver adds none.</summary>
    public static UserInfo Subject(JsonObject spec)
    {
        var extra = (spec["extra"] as JsonObject ?? []).ToDictionary(
            e => e.Key,
            e => (IReadOnlyList<string>)[.. (e.Value as JsonArray ?? []).Select(Json.ScalarText).OfType<string>()]);
        return new UserInfo(spec.Str("user") ?? "", [.. Strings(spec["groups"])], Nonempty(spec.Str("uid")), extra.Count > 0 ? extra : null);
    }

    private static List<FieldCause> MetadataProblems(string kind, JsonObject metadata, string? requestNamespace)
    {
        var local = kind == "LocalSubjectAccessReview";
        var bodyNamespace = metadata.Str("namespace");
        if (local && !string.IsNullOrEmpty(bodyNamespace) && bodyNamespace != requestNamespace)
        {
            throw ApiException.BadRequest("the namespace of the provided object does not match the namespace sent on the request");
        }
        // Protobuf bodies carry unset strings as empty ones, and kubectl sends creationTimestamp: null: neither is "set".
        var set = metadata.Where(p => p.Value is not null && Json.ScalarText(p.Value) is not ("" or "{}" or "[]")
            && !(local && p.Key == "namespace") && p.Key != "managedFields").Select(p => p.Key).ToList();
        return set.Count == 0 ? [] :
        [
            FieldCause.Invalid("metadata", $"Invalid value: \"{string.Join(", ", set)}\": must be empty{(local ? " except for namespace" : "")}"),
        ];
    }

    private static IEnumerable<FieldCause> AttributeProblems(JsonObject spec)
    {
        var hasResource = spec["resourceAttributes"] is JsonObject;
        var hasNonResource = spec["nonResourceAttributes"] is JsonObject;
        if (hasResource && hasNonResource)
        {
            yield return FieldCause.Invalid("spec.nonResourceAttributes", "Invalid value: \"object\": cannot be specified in combination with resourceAttributes");
        }
        if (!hasResource && !hasNonResource)
        {
            yield return FieldCause.Invalid("spec.resourceAttributes", "Invalid value: \"null\": exactly one of nonResourceAttributes or resourceAttributes must be specified");
        }
    }

    private static IEnumerable<FieldCause> SubjectProblems(JsonObject spec)
    {
        if (string.IsNullOrEmpty(spec.Str("user")) && !Strings(spec["groups"]).Any())
        {
            yield return FieldCause.Invalid("spec.user", "Invalid value: \"\": at least one of user or group must be specified");
        }
    }

    /// <summary>A LocalSubjectAccessReview asks about its own namespace only: a namespace admin must not learn about another one.</summary>
    private static IEnumerable<FieldCause> LocalProblems(JsonObject spec, string requestNamespace)
    {
        if (spec["resourceAttributes"] is JsonObject r && (r.Str("namespace") ?? "") != requestNamespace)
        {
            yield return FieldCause.Invalid("spec.resourceAttributes.namespace", $"Invalid value: \"{r.Str("namespace")}\": must match metadata.namespace");
        }
        if (spec["nonResourceAttributes"] is JsonObject)
        {
            yield return FieldCause.Invalid("spec.nonResourceAttributes", "Invalid value: \"object\": disallowed on this kind of request");
        }
    }

    private static JsonObject DecisionStatus(AccessDecision decision)
    {
        var status = new JsonObject { ["allowed"] = decision.Allowed };
        if (decision.Reason.Length > 0)
        {
            status["reason"] = decision.Reason;
        }
        return status;
    }

    private static JsonObject RulesStatus(UserInfo user, string? ns, IRbacObjects rbac)
    {
        var resourceRules = new JsonArray();
        var nonResourceRules = new JsonArray();
        foreach (var rule in RbacPolicy.RulesFor(user, ns, rbac).Select(g => g.Rule))
        {
            if (rule["nonResourceURLs"] is JsonArray { Count: > 0 } urls)
            {
                nonResourceRules.Add(new JsonObject { ["verbs"] = Copy(rule["verbs"]), ["nonResourceURLs"] = urls.DeepClone() });
            }
            if (rule["resources"] is JsonArray { Count: > 0 } || rule["apiGroups"] is JsonArray { Count: > 0 })
            {
                var entry = new JsonObject { ["verbs"] = Copy(rule["verbs"]) };
                foreach (var list in new[] { "apiGroups", "resources", "resourceNames" })
                {
                    if (rule[list] is JsonArray { Count: > 0 } values)
                    {
                        entry[list] = values.DeepClone();
                    }
                }
                resourceRules.Add(entry);
            }
        }
        var status = new JsonObject { ["resourceRules"] = resourceRules, ["nonResourceRules"] = nonResourceRules, ["incomplete"] = false };
        if (RbacPolicy.MalformedServiceAccount(user) is { } refusal)
        {
            status["evaluationError"] = refusal;
        }
        return status;
    }

    private static JsonNode Copy(JsonNode? list) => list?.DeepClone() ?? new JsonArray();

    private static IEnumerable<string> Strings(JsonNode? list) => (list as JsonArray ?? []).Select(Json.ScalarText).OfType<string>();

    private static string? Nonempty(string? text) => string.IsNullOrEmpty(text) ? null : text;
}
