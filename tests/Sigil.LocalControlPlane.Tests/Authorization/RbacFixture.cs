using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Authorization;

namespace Sigil.LocalControlPlane.Tests.Authorization;

/// <summary>A hand-written <see cref="IRbacObjects"/>: roles and bindings held in lists, built with a few terse helpers.</summary>
internal sealed class RbacFixture : IRbacObjects
{
    private readonly List<JsonObject> _clusterRoles = [];
    private readonly List<JsonObject> _roles = [];
    private readonly List<JsonObject> _clusterRoleBindings = [];
    private readonly List<JsonObject> _roleBindings = [];

    public IEnumerable<JsonObject> ClusterRoleBindings() => _clusterRoleBindings;
    public IEnumerable<JsonObject> RoleBindings(string ns) => _roleBindings.Where(b => b["metadata"]?["namespace"]?.ToString() == ns);
    public JsonObject? ClusterRole(string name) => _clusterRoles.FirstOrDefault(r => r["metadata"]?["name"]?.ToString() == name);
    public JsonObject? Role(string ns, string name) =>
        _roles.FirstOrDefault(r => r["metadata"]?["name"]?.ToString() == name && r["metadata"]?["namespace"]?.ToString() == ns);

    public RbacFixture ClusterRole(string name, params JsonObject[] rules)
    {
        _clusterRoles.Add(new JsonObject { ["metadata"] = new JsonObject { ["name"] = name }, ["rules"] = new JsonArray(rules) });
        return this;
    }

    public RbacFixture Role(string ns, string name, params JsonObject[] rules)
    {
        _roles.Add(new JsonObject { ["metadata"] = new JsonObject { ["name"] = name, ["namespace"] = ns }, ["rules"] = new JsonArray(rules) });
        return this;
    }

    public RbacFixture ClusterRoleBinding(string name, string clusterRole, params JsonObject[] subjects)
    {
        _clusterRoleBindings.Add(Binding(new JsonObject { ["name"] = name }, "ClusterRole", clusterRole, subjects));
        return this;
    }

    public RbacFixture RoleBinding(string ns, string name, string roleKind, string role, params JsonObject[] subjects)
    {
        _roleBindings.Add(Binding(new JsonObject { ["name"] = name, ["namespace"] = ns }, roleKind, role, subjects));
        return this;
    }

    public static JsonObject Rule(string verbs, string groups, string resources, string? names = null)
    {
        var rule = new JsonObject { ["verbs"] = List(verbs), ["apiGroups"] = List(groups), ["resources"] = List(resources) };
        if (names is not null)
        {
            rule["resourceNames"] = List(names);
        }
        return rule;
    }

    public static JsonObject PathRule(string verbs, string paths) => new() { ["verbs"] = List(verbs), ["nonResourceURLs"] = List(paths) };

    public static JsonObject ServiceAccount(string? ns, string name)
    {
        var subject = new JsonObject { ["kind"] = "ServiceAccount", ["name"] = name };
        if (ns is not null)
        {
            subject["namespace"] = ns;
        }
        return subject;
    }

    public static JsonObject User(string name) => new() { ["kind"] = "User", ["apiGroup"] = "rbac.authorization.k8s.io", ["name"] = name };

    public static JsonObject Group(string name) => new() { ["kind"] = "Group", ["apiGroup"] = "rbac.authorization.k8s.io", ["name"] = name };

    /// <summary>The groups a ServiceAccount's token carries.</summary>
    public static UserInfo Account(string ns, string name) => UserInfo.ForToken($"system:serviceaccount:{ns}:{name}");

    private static JsonObject Binding(JsonObject metadata, string roleKind, string role, JsonObject[] subjects) => new()
    {
        ["metadata"] = metadata,
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = roleKind, ["name"] = role },
        ["subjects"] = new JsonArray(subjects),
    };

    /// <summary>"get,list" becomes ["get","list"]; "" becomes [""], the core API group.</summary>
    private static JsonArray List(string commaSeparated) => new([.. commaSeparated.Split(',').Select(v => (JsonNode?)JsonValue.Create(v))]);
}
