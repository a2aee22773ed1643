using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Authorization;
using Sigil.LocalControlPlane.Semantics;
using Sigil.LocalControlPlane.Storage;

namespace Sigil.LocalControlPlane.Http;

/// <summary>
/// Enforces <see cref="RbacPolicy"/> on requests: ServiceAccount users (<c>system:serviceaccount:&lt;ns&gt;:&lt;name&gt;</c>)
/// and impersonated users are held to the Roles, ClusterRoles and bindings in the store; a user that looks like a
/// ServiceAccount but is not a well-formed one is denied everything. Other token users (the admin token) are in
/// system:masters and unrestricted; discovery is open to every authenticated user, as system:discovery grants.
/// A refusal is kube-apiserver's 403 Forbidden, worded as it words it.
/// </summary>
internal sealed class RbacAuthorizer(ObjectStore store)
{
    public void Authorize(UserInfo user, AccessAttributes attributes)
    {
        var decision = Decide(user, attributes);
        if (!decision.Allowed)
        {
            throw Forbidden(user, attributes, decision.Reason);
        }
    }

    /// <remarks>The built-in bindings (system:masters, discovery) come first in RBAC's order and need no stored object, so a
    /// request they allow is answered without the store's lock: under load every request of the admin (the operator's own
    /// in `sigil local`) otherwise queued on the lock that writes hold. Anything else is decided in full inside one read.</remarks>
    public AccessDecision Decide(UserInfo user, AccessAttributes attributes) =>
        RbacPolicy.Decide(user, attributes, NoStoredObjects.Instance) is { Allowed: true } builtIn
            ? builtIn
            : Read(rbac => RbacPolicy.Decide(user, attributes, rbac));

    /// <summary>Runs <paramref name="read"/> against one consistent view of the RBAC objects.</summary>
    public T Read<T>(Func<IRbacObjects, T> read) => store.Read(tx => read(new StoreRbacObjects(tx)));

    /// <summary>kube-apiserver's forbidden Status (NewForbidden with its authorizer message), plus the reason when there is one.</summary>
    public static ApiException Forbidden(UserInfo user, AccessAttributes attributes, string reason)
    {
        var because = reason.Length > 0 ? $": {reason}" : "";
        if (attributes.Path is { } path)
        {
            return new ApiException(403, "Forbidden", $"forbidden: User \"{user.Name}\" cannot {attributes.Verb} path \"{path}\"{because}");
        }
        var resource = attributes.CombinedResource;
        var where = string.IsNullOrEmpty(attributes.Namespace) ? "at the cluster scope" : $"in the namespace \"{attributes.Namespace}\"";
        var qualified = attributes.Group.Length == 0 ? resource : $"{resource}.{attributes.Group}";
        var subject = string.IsNullOrEmpty(attributes.Name) ? qualified : $"{qualified} \"{attributes.Name}\"";
        var details = new JsonObject { ["name"] = attributes.Name ?? "", ["kind"] = resource };
        if (attributes.Group.Length > 0)
        {
            details["group"] = attributes.Group;
        }
        return new ApiException(403, "Forbidden",
            $"{subject} is forbidden: User \"{user.Name}\" cannot {attributes.Verb} resource \"{resource}\" in API group \"{attributes.Group}\" {where}{because}", details);
    }

    private sealed class NoStoredObjects : IRbacObjects
    {
        public static readonly NoStoredObjects Instance = new();
        public IEnumerable<JsonObject> ClusterRoleBindings() => [];
        public IEnumerable<JsonObject> RoleBindings(string ns) => [];
        public JsonObject? ClusterRole(string name) => null;
        public JsonObject? Role(string ns, string name) => null;
    }

    // The policy only reads, inside the store's read: no copies of every binding on every request.
    private sealed class StoreRbacObjects(ObjectStore.IStoreView tx) : IRbacObjects
    {
        public IEnumerable<JsonObject> ClusterRoleBindings() => tx.PeekAll("clusterrolebindings", null);
        public IEnumerable<JsonObject> RoleBindings(string ns) => tx.PeekAll("rolebindings", ns);
        public JsonObject? ClusterRole(string name) => tx.Peek("clusterroles", "", name);
        public JsonObject? Role(string ns, string name) => tx.Peek("roles", ns, name);
    }
}
