using Sigil.LocalControlPlane.Authorization;
using static Sigil.LocalControlPlane.Tests.Authorization.RbacFixture;

namespace Sigil.LocalControlPlane.Tests.Authorization;

/// <summary>
/// kube-apiserver's RBAC decision, written from the attacker's side: a subject without a namespace, a group of another
/// namespace, a wildcard that is not one, a name that is the admin's without its group, an impersonation grant in one
/// namespace stretched to another.
/// </summary>
public sealed class RbacPolicyTests
{
    private static readonly UserInfo Jane = new("jane", [UserInfo.Authenticated]);
    private static readonly UserInfo Admin = UserInfo.ForToken("admin");

    private static AccessAttributes Secrets(string verb, string? ns, string? name = null) => new(verb, "", "secrets", null, ns, name);

    private static AccessAttributes Impersonate(string resource, string? ns, string name) => new("impersonate", "", resource, null, ns, name);

    private static RbacFixture Cluster() => new RbacFixture()
        .Role("shop", "reader", Rule("get,list", "", "secrets"))
        .RoleBinding("shop", "reader", "Role", "reader", ServiceAccount("shop", "reader"))
        .RoleBinding("shop", "defaulted", "Role", "reader", ServiceAccount(null, "defaulted"))
        .ClusterRole("secret-reader", Rule("get,list", "", "secrets"))
        .ClusterRoleBinding("orphan", "secret-reader", ServiceAccount(null, "orphan"), ServiceAccount("", "orphan"))
        .ClusterRole("pod-lister", Rule("list", "", "pods"))
        .RoleBinding("shop", "every-account", "ClusterRole", "pod-lister", Group("system:serviceaccounts:shop"))
        .ClusterRoleBinding("jane", "pod-lister", User("jane"))
        .ClusterRole("status-writer", Rule("update", "*", "*/status"))
        .RoleBinding("shop", "operator", "ClusterRole", "status-writer", ServiceAccount("shop", "operator"))
        .ClusterRole("star-named", Rule("get", "", "configmaps", names: "*"))
        .ClusterRole("one-config", Rule("get", "", "configmaps", names: "app-config"))
        .RoleBinding("shop", "star-named", "ClusterRole", "star-named", ServiceAccount("shop", "named"))
        .RoleBinding("shop", "one-config", "ClusterRole", "one-config", ServiceAccount("shop", "named"))
        .ClusterRole("impersonate-reader", Rule("impersonate", "", "serviceaccounts", names: "reader"))
        .RoleBinding("shop", "helper", "ClusterRole", "impersonate-reader", ServiceAccount("ops", "helper"))
        .ClusterRole("impersonate-jane", Rule("impersonate", "", "users", names: "jane"))
        .ClusterRoleBinding("helper", "impersonate-jane", ServiceAccount("ops", "helper"))
        .ClusterRole("metrics", PathRule("get", "/metrics"))
        .ClusterRoleBinding("metrics", "metrics", ServiceAccount("ops", "scraper"));

    private static readonly Dictionary<string, (UserInfo User, AccessAttributes Attributes, bool Allowed)> Table = new()
    {
        ["a ServiceAccount reads what its RoleBinding grants in that namespace"] =
            (Account("shop", "reader"), Secrets("list", "shop"), true),
        ["a ServiceAccount subject without a namespace in a RoleBinding means the binding's namespace"] =
            (Account("shop", "defaulted"), Secrets("get", "shop", "db"), true),
        ["a group of a namespace's ServiceAccounts covers each account of that namespace"] =
            (Account("shop", "anyone"), new("list", "", "pods", null, "shop"), true),
        ["a User subject matches that user"] =
            (Jane, new("list", "", "pods", null, "billing"), true),
        ["*/status grants the status subresource of every resource"] =
            (Account("shop", "operator"), new("update", "apps", "deployments", "status", "shop", "web"), true),
        ["resourceNames grant the named object"] =
            (Account("shop", "named"), new("get", "", "configmaps", null, "shop", "app-config"), true),
        ["the admin token's user is in system:masters and may do anything"] =
            (Admin, Secrets("delete", "kube-system", "anything"), true),
        ["every authenticated user may ask what it may do"] =
            (Account("shop", "nobody"), new("create", "authorization.k8s.io", "selfsubjectaccessreviews"), true),
        ["every authenticated user may read discovery"] =
            (Account("shop", "nobody"), AccessAttributes.NonResource("get", "/apis/apps/v1"), true),
        ["a nonResourceURLs rule grants its path"] =
            (Account("ops", "scraper"), AccessAttributes.NonResource("get", "/metrics"), true),
        ["an impersonation grant in a namespace lets its holder impersonate the named account there"] =
            (Account("ops", "helper"), Impersonate("serviceaccounts", "shop", "reader"), true),
        ["an impersonation grant for a user lets its holder impersonate that user"] =
            (Account("ops", "helper"), Impersonate("users", null, "jane"), true),

        ["a ServiceAccount with no binding is denied"] =
            (Account("shop", "nobody"), Secrets("get", "shop", "db"), false),
        ["a RoleBinding does not reach another namespace"] =
            (Account("shop", "reader"), Secrets("get", "billing", "db"), false),
        ["a RoleBinding does not reach the cluster scope"] =
            (Account("shop", "reader"), Secrets("list", null), false),
        ["a defaulted subject does not match the same name in another namespace"] =
            (Account("billing", "defaulted"), Secrets("get", "shop", "db"), false),
        ["a ServiceAccount subject without a namespace in a ClusterRoleBinding names nobody"] =
            (Account("shop", "orphan"), Secrets("get", "shop", "db"), false),
        ["a user with an empty namespace does not match a subject without one"] =
            (UserInfo.ForToken("system:serviceaccount::orphan"), Secrets("get", "shop", "db"), false),
        ["a namespace's group does not cover a namespace whose name only starts the same"] =
            (Account("shop-evil", "x"), new("list", "", "pods", null, "shop"), false),
        ["a ServiceAccount name without its token's groups does not match a group binding"] =
            (new UserInfo("system:serviceaccount:shop:anyone", []), new("list", "", "pods", null, "shop"), false),
        ["*/status does not grant the resource itself"] =
            (Account("shop", "operator"), new("update", "apps", "deployments", null, "shop", "web"), false),
        ["resourceNames \"*\" names an object called *, it is no wildcard"] =
            (Account("shop", "named"), new("get", "", "configmaps", null, "shop", "other"), false),
        ["resourceNames do not grant a list, which names no object"] =
            (Account("shop", "named"), new("list", "", "configmaps", null, "shop"), false),
        ["the admin's name without system:masters is an ordinary user"] =
            (new UserInfo("admin", [UserInfo.Authenticated]), Secrets("delete", "kube-system", "anything"), false),
        ["a malformed ServiceAccount is denied even in system:masters"] =
            (new UserInfo("system:serviceaccount:shop", [UserInfo.Masters]), Secrets("get", "shop", "db"), false),
        ["a ServiceAccount prefix in other letter case is denied even in system:masters"] =
            (new UserInfo("System:ServiceAccount:shop:reader", [UserInfo.Masters]), Secrets("get", "shop", "db"), false),
        ["discovery does not open other paths"] =
            (Account("shop", "nobody"), AccessAttributes.NonResource("get", "/metrics"), false),
        ["a path that only starts like /apis is not discovery"] =
            (Account("shop", "nobody"), AccessAttributes.NonResource("get", "/apisx"), false),
        ["discovery is read-only"] =
            (Account("shop", "nobody"), AccessAttributes.NonResource("post", "/apis"), false),
        ["the self-review grant is create only"] =
            (Account("shop", "nobody"), new("list", "authorization.k8s.io", "selfsubjectaccessreviews"), false),
        ["asking about others needs its own grant"] =
            (Account("shop", "nobody"), new("create", "authorization.k8s.io", "subjectaccessreviews"), false),
        ["a ServiceAccount may not impersonate the admin without RBAC"] =
            (Account("shop", "nobody"), Impersonate("users", null, "admin"), false),
        ["a ServiceAccount may not impersonate another ServiceAccount without RBAC"] =
            (Account("shop", "nobody"), Impersonate("serviceaccounts", "shop", "reader"), false),
        ["an impersonation grant in one namespace does not reach the same name in another"] =
            (Account("ops", "helper"), Impersonate("serviceaccounts", "billing", "reader"), false),
        ["an impersonation grant for one account does not reach another account"] =
            (Account("ops", "helper"), Impersonate("serviceaccounts", "shop", "operator"), false),
        ["an impersonation grant for a user does not reach the admin"] =
            (Account("ops", "helper"), Impersonate("users", null, "admin"), false),
        ["an impersonation grant for users does not reach groups"] =
            (Account("ops", "helper"), Impersonate("groups", null, "jane"), false),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void A_request_is_allowed_only_when_a_binding_names_the_user_and_its_role_has_a_matching_rule(string because)
    {
        var (user, attributes, allowed) = Table[because];

        var decision = RbacPolicy.Decide(user, attributes, Cluster());

        Assert.Equal(allowed, decision.Allowed);
    }

    [Fact]
    public void An_allowed_request_says_which_binding_allowed_it()
    {
        var decision = RbacPolicy.Decide(Account("shop", "reader"), Secrets("list", "shop"), Cluster());

        Assert.Equal("RBAC: allowed by RoleBinding \"reader/shop\" of Role \"reader\" to ServiceAccount \"reader/shop\"", decision.Reason);
    }

    [Fact]
    public void The_rules_of_a_ServiceAccount_in_a_namespace_are_its_own_and_the_bootstrap_ones_only()
    {
        var rules = RbacPolicy.RulesFor(Account("shop", "reader"), "shop", Cluster()).ToList();
        var elsewhere = RbacPolicy.RulesFor(Account("shop", "reader"), "billing", Cluster()).ToList();

        Assert.Contains(rules, g => g.GrantedBy.StartsWith("RoleBinding \"reader/shop\"", StringComparison.Ordinal));
        Assert.Contains(rules, g => g.GrantedBy.StartsWith("RoleBinding \"every-account/shop\"", StringComparison.Ordinal));
        Assert.DoesNotContain(rules, g => g.GrantedBy.Contains("cluster-admin", StringComparison.Ordinal));
        Assert.DoesNotContain(elsewhere, g => g.GrantedBy.StartsWith("RoleBinding", StringComparison.Ordinal));
        Assert.Empty(RbacPolicy.RulesFor(new UserInfo("system:serviceaccount:shop", [UserInfo.Masters]), "shop", Cluster()));
    }
}
