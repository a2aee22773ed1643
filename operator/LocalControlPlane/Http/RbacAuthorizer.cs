using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Semantics;
using Sigil.LocalControlPlane.Storage;

namespace Sigil.LocalControlPlane.Http;

/// <summary>
/// Kubernetes RBAC for ServiceAccount users (<c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c>): a resource
/// request is allowed only if a RoleBinding in its namespace or a ClusterRoleBinding binds the account to a
/// rule that names the verb, API group, resource (with subresource) and, if the rule lists any, the
/// object's name. A user that looks like a ServiceAccount but is not a well-formed one is denied everything.
/// Other users (the admin token) are unrestricted, like system:masters; discovery is open
/// to every authenticated user, as system:discovery grants.
/// </summary>
internal sealed class RbacAuthorizer(ObjectStore store)
{
    private const string ServiceAccountPrefix = "system:serviceaccount:";

    public void Authorize(RecordedRequest request)
    {
        // Anything resembling the prefix (other case, leading blanks) claims to be a ServiceAccount: it must never
        // fall through to the unrestricted users, nor, parsed leniently, match a binding by accident.
        if (!request.User.TrimStart().StartsWith(ServiceAccountPrefix, StringComparison.OrdinalIgnoreCase))
        {
            return;
        }
        if (ParseServiceAccount(request.User) is not (var accountNamespace, var accountName))
        {
            throw new ApiException(403, "Forbidden",
                $"User \"{request.User}\" is not a valid ServiceAccount user: expected system:serviceaccount:<namespace>:<name> with a DNS label and a DNS subdomain");
        }
        if (Allowed(request, accountNamespace, accountName))
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

    /// <summary>
    /// The namespace and name of <c>system:serviceaccount:&lt;namespace&gt;:&lt;name&gt;</c>, or null unless the
    /// namespace is a DNS-1123 label and the name a DNS-1123 subdomain, as kube-apiserver requires of both.
    /// </summary>
    public static (string Namespace, string Name)? ParseServiceAccount(string user)
    {
        if (!user.StartsWith(ServiceAccountPrefix, StringComparison.Ordinal))
        {
            return null;
        }
        var parts = user[ServiceAccountPrefix.Length..].Split(':');
        return parts is [var ns, var name] && IsDnsLabel(ns) && name.Length <= 253 && name.Split('.').All(IsDnsLabel)
            ? (ns, name)
            : null;
    }

    private static bool IsDnsLabel(string text) =>
        text.Length is > 0 and <= 63
        && text.All(c => c is >= 'a' and <= 'z' or >= '0' and <= '9' or '-')
        && text[0] != '-' && text[^1] != '-';

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
