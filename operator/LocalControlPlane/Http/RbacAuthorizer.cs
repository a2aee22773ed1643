using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;
using Sigil.LocalControlPlane.Storage;

namespace Sigil.LocalControlPlane.Http;

/// <summary>
/// Kubernetes RBAC for ServiceAccount users (<c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c>): a resource
/// request is allowed only if a RoleBinding in its namespace or a ClusterRoleBinding binds the account to a
/// rule that names the verb, API group, resource (with subresource) and, if the rule lists any, the
/// object's name. Other users (the admin token) are unrestricted, like system:masters; discovery is open
/// to every authenticated user, as system:discovery grants.
/// </summary>
internal sealed class RbacAuthorizer(ObjectStore store)
{
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    public void Authorize(RecordedRequest request)
    {
        if (!request.User.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal))
        {
            return;
        }
        var parts = request.User[ServiceAccountPrefix.Length..].Split(':', 2);
        if (parts.Length != 2 || Allowed(request, parts[0], parts[1]))
        {
            return;
        }
        var resource = request.Subresource is null ? request.Resource : $"{request.Resource}/{request.Subresource}";
        var where = request.Namespace is null ? "at the cluster scope" : $"in the namespace \"{request.Namespace}\"";
        throw new ApiException(403, "Forbidden",
            $"{resource}{(request.Name is null ? "" : $" \"{request.Name}\"")} is forbidden: User \"{request.User}\" cannot {request.Verb} resource \"{resource}\" in API group \"{request.Group}\" {where}");
    }

    private bool Allowed(RecordedRequest request, string accountNamespace, string accountName) => store.Read(tx =>
    {
        bool Binds(JsonObject binding) => (binding["subjects"] as JsonArray ?? []).Any(s =>
            s.Str("kind") == "ServiceAccount" && s.Str("name") == accountName && (s.Str("namespace") ?? "") == accountNamespace);

        IEnumerable<JsonNode?> RulesOf(JsonObject binding, string bindingNamespace)
        {
            var roleRef = binding["roleRef"];
            var role = roleRef.Str("kind") == "ClusterRole"
                ? tx.Get("clusterroles", "", roleRef.Str("name") ?? "")
                : tx.Get("roles", bindingNamespace, roleRef.Str("name") ?? "");
            return role?["rules"] as JsonArray ?? [];
        }

        var rules = tx.List("clusterrolebindings", null).Where(Binds).SelectMany(b => RulesOf(b, "")).ToList();
        if (request.Namespace is { } ns)
        {
            rules.AddRange(tx.List("rolebindings", ns).Where(Binds).SelectMany(b => RulesOf(b, ns)));
        }
        return rules.OfType<JsonObject>().Any(rule => Matches(rule, request));
    });

    private static bool Matches(JsonObject rule, RecordedRequest request)
    {
        static bool Lists(JsonNode? list, string value) => (list as JsonArray ?? []).Any(v => Json.ScalarText(v) is { } s && (s == "*" || s == value));
        var resource = request.Subresource is null ? request.Resource : $"{request.Resource}/{request.Subresource}";
        var names = rule["resourceNames"] as JsonArray;
        return Lists(rule["verbs"], request.Verb)
            && Lists(rule["apiGroups"], request.Group)
            && Lists(rule["resources"], resource)
            && (names is null || names.Count == 0 || (request.Name is not null && Lists(names, request.Name)));
    }
}
