using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;

namespace Sigil.LocalControlPlane.Authorization;

/// <summary>The RBAC objects a decision reads: bindings and the roles they refer to.</summary>
internal interface IRbacObjects
{
    IEnumerable<JsonObject> ClusterRoleBindings();
    IEnumerable<JsonObject> RoleBindings(string ns);
    JsonObject? ClusterRole(string name);
    JsonObject? Role(string ns, string name);
}

/// <summary>An authorization answer; <see cref="Reason"/> says which binding allowed it, or why it was refused.</summary>
internal sealed record AccessDecision(bool Allowed, string Reason)
{
    public static AccessDecision NoOpinion { get; } = new(false, "");
}

/// <summary>A rule a user holds, and the binding (described as kube-apiserver does in its reasons) that grants it.</summary>
internal sealed record GrantedRule(JsonObject Rule, string GrantedBy);

/// <summary>
/// kube-apiserver's RBAC authorizer (plugin/pkg/auth/authorizer/rbac), as a pure function of the user, the request
/// attributes and the RBAC objects: a request is allowed if a ClusterRoleBinding, or a RoleBinding in the request's
/// namespace, names the user (as a User, one of its Groups, or a ServiceAccount) and its role has a rule that matches.
/// The bootstrap ClusterRoles every cluster has are bound here without objects: cluster-admin to system:masters, and
/// system:basic-user, system:discovery and system:public-info-viewer to system:authenticated. A user that looks like a
/// ServiceAccount but is not a well-formed one is refused everything, whatever its groups.
/// </summary>
internal static class RbacPolicy
{
    private sealed record DefaultBinding(string Role, string Group, JsonObject[] Rules);

    private static readonly string[] DiscoveryPaths =
        ["/api", "/api/*", "/apis", "/apis/*", "/healthz", "/livez", "/openapi", "/openapi/*", "/readyz", "/version", "/version/"];

    // Built per use: JsonObjects are neither thread-safe to share nor attachable to two parents.
    private static DefaultBinding[] DefaultBindings() =>
    [
        new("cluster-admin", UserInfo.Masters, [ResourceRule(["*"], ["*"], ["*"]), NonResourceRule(["*"], ["*"])]),
        new("system:basic-user", UserInfo.Authenticated,
        [
            ResourceRule(["create"], ["authorization.k8s.io"], ["selfsubjectaccessreviews", "selfsubjectrulesreviews"]),
            ResourceRule(["create"], ["authentication.k8s.io"], ["selfsubjectreviews"]),
        ]),
        new("system:discovery", UserInfo.Authenticated, [NonResourceRule(["get"], DiscoveryPaths)]),
        new("system:public-info-viewer", UserInfo.Authenticated, [NonResourceRule(["get"], ["/healthz", "/livez", "/readyz", "/version", "/version/"])]),
    ];

    public static AccessDecision Decide(UserInfo user, AccessAttributes attributes, IRbacObjects rbac)
    {
        if (MalformedServiceAccount(user) is { } refusal)
        {
            return new AccessDecision(false, refusal);
        }
        return RulesFor(user, attributes.Namespace, rbac).FirstOrDefault(g => Allows(g.Rule, attributes)) is { } grant
            ? new AccessDecision(true, $"RBAC: allowed by {grant.GrantedBy}")
            : AccessDecision.NoOpinion;
    }

    /// <summary>Why this user may do nothing at all, or null: it claims to be a ServiceAccount and is not a well-formed one.</summary>
    public static string? MalformedServiceAccount(UserInfo user) =>
        UserInfo.ClaimsServiceAccount(user.Name) && ServiceAccountName.Parse(user.Name) is null
            ? $"User \"{user.Name}\" is not a valid ServiceAccount user: expected system:serviceaccount:<namespace>:<name> with a DNS label and a DNS subdomain"
            : null;

    /// <summary>Every rule the user holds in a namespace (or, for an empty one, at the cluster scope), in the order RBAC visits them.</summary>
    public static IEnumerable<GrantedRule> RulesFor(UserInfo user, string? ns, IRbacObjects rbac)
    {
        if (MalformedServiceAccount(user) is not null)
        {
            yield break;
        }
        foreach (var binding in DefaultBindings().Where(b => user.Groups.Contains(b.Group, StringComparer.Ordinal)))
        {
            foreach (var rule in binding.Rules)
            {
                yield return new GrantedRule(rule, $"ClusterRoleBinding \"{binding.Role}\" of ClusterRole \"{binding.Role}\" to Group \"{binding.Group}\"");
            }
        }
        foreach (var binding in rbac.ClusterRoleBindings())
        {
            foreach (var grant in Grants(binding, "", user, rbac))
            {
                yield return grant;
            }
        }
        if (!string.IsNullOrEmpty(ns))
        {
            foreach (var binding in rbac.RoleBindings(ns))
            {
                foreach (var grant in Grants(binding, ns, user, rbac))
                {
                    yield return grant;
                }
            }
        }
    }

    /// <summary>kube-apiserver's RuleAllows: a resource rule for resource requests, a nonResourceURLs rule for the others.</summary>
    public static bool Allows(JsonObject rule, AccessAttributes attributes)
    {
        if (!Lists(rule["verbs"], attributes.Verb, wildcard: true))
        {
            return false;
        }
        if (attributes.Path is { } path)
        {
            return Strings(rule["nonResourceURLs"]).Any(url => url == "*" || url == path || (url.EndsWith('*') && path.StartsWith(url.TrimEnd('*'), StringComparison.Ordinal)));
        }
        var names = Strings(rule["resourceNames"]).ToList();
        return Lists(rule["apiGroups"], attributes.Group, wildcard: true)
            && ResourceMatches(Strings(rule["resources"]), attributes)
            // resourceNames has no wildcard: "*" there names an object called "*".
            && (names.Count == 0 || (!string.IsNullOrEmpty(attributes.Name) && names.Contains(attributes.Name, StringComparer.Ordinal)));
    }

    private static bool ResourceMatches(IEnumerable<string> ruleResources, AccessAttributes attributes) => ruleResources.Any(r =>
        r == "*" || r == attributes.CombinedResource
        || (!string.IsNullOrEmpty(attributes.Subresource) && r == $"*/{attributes.Subresource}"));

    private static IEnumerable<GrantedRule> Grants(JsonObject binding, string bindingNamespace, UserInfo user, IRbacObjects rbac)
    {
        var subject = (binding["subjects"] as JsonArray ?? []).OfType<JsonObject>().FirstOrDefault(s => AppliesTo(s, user, bindingNamespace));
        if (subject is null)
        {
            return [];
        }
        var roleRef = binding["roleRef"];
        var roleKind = roleRef.Str("kind") ?? "";
        var roleName = roleRef.Str("name") ?? "";
        var role = roleKind switch
        {
            "ClusterRole" => rbac.ClusterRole(roleName),
            "Role" when bindingNamespace.Length > 0 => rbac.Role(bindingNamespace, roleName),
            _ => null,
        };
        var bindingName = bindingNamespace.Length > 0 ? $"RoleBinding \"{binding.Name()}/{bindingNamespace}\"" : $"ClusterRoleBinding \"{binding.Name()}\"";
        var grantedBy = $"{bindingName} of {roleKind} \"{roleName}\" to {Describe(subject, bindingNamespace)}";
        return (role?["rules"] as JsonArray ?? []).OfType<JsonObject>().Select(rule => new GrantedRule(rule, grantedBy));
    }

    /// <summary>
    /// kube-apiserver's appliesToUser: a ServiceAccount subject without a namespace means the RoleBinding's own
    /// namespace, and means nobody in a ClusterRoleBinding.
    /// </summary>
    private static bool AppliesTo(JsonObject subject, UserInfo user, string bindingNamespace)
    {
        var name = subject.Str("name") ?? "";
        switch (subject.Str("kind"))
        {
            case "User":
                return name.Length > 0 && name == user.Name;
            case "Group":
                return name.Length > 0 && user.Groups.Contains(name, StringComparer.Ordinal);
            case "ServiceAccount":
                var ns = subject.Str("namespace") is { Length: > 0 } own ? own : bindingNamespace;
                return ns.Length > 0 && name.Length > 0 && ServiceAccountName.UserName(ns, name) == user.Name;
            default:
                return false;
        }
    }

    private static string Describe(JsonObject subject, string bindingNamespace) => subject.Str("kind") == "ServiceAccount"
        ? $"ServiceAccount \"{subject.Str("name")}/{(subject.Str("namespace") is { Length: > 0 } ns ? ns : bindingNamespace)}\""
        : $"{subject.Str("kind")} \"{subject.Str("name")}\"";

    private static bool Lists(JsonNode? list, string value, bool wildcard) =>
        Strings(list).Any(s => s == value || (wildcard && s == "*"));

    private static IEnumerable<string> Strings(JsonNode? list) => (list as JsonArray ?? []).Select(Json.ScalarText).OfType<string>();

    private static JsonObject ResourceRule(string[] verbs, string[] groups, string[] resources) => new()
    {
        ["verbs"] = Array(verbs), ["apiGroups"] = Array(groups), ["resources"] = Array(resources),
    };

    private static JsonObject NonResourceRule(string[] verbs, string[] urls) => new()
    {
        ["verbs"] = Array(verbs), ["nonResourceURLs"] = Array(urls),
    };

    private static JsonArray Array(string[] values) => new([.. values.Select(v => (JsonNode?)JsonValue.Create(v))]);
}
