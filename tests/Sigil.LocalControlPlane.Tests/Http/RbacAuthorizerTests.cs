using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Authorization;
using Sigil.LocalControlPlane.Http;
using Sigil.LocalControlPlane.Semantics;
using Sigil.LocalControlPlane.Storage;

namespace Sigil.LocalControlPlane.Tests.Http;

/// <summary>
/// May this user do this? Written from the attacker's side: a user name that only looks like a ServiceAccount,
/// a binding in the wrong namespace, a ClusterRoleBinding to someone else's account. The cluster holds the
/// bindings an attacker would hope to hit by accident, including subjects with malformed names, so a parser
/// that is lenient anywhere lets a case through.
/// </summary>
public sealed class RbacAuthorizerTests
{
    private static readonly AccessAttributes GetSecretInShop = new("get", "", "secrets", null, "shop", "db");

    private static readonly Dictionary<string, (string User, AccessAttributes Request, bool Allowed)> Table = new()
    {
        ["the bound ServiceAccount may do what its Role says in the Role's namespace"] =
            ("system:serviceaccount:shop:reader", GetSecretInShop, true),
        ["a ClusterRoleBinding lets its ServiceAccount act in any namespace"] =
            ("system:serviceaccount:ops:watcher", new("list", "", "configmaps", null, "shop", null), true),
        ["a ClusterRoleBinding lets its ServiceAccount act at the cluster scope"] =
            ("system:serviceaccount:ops:watcher", new("list", "", "configmaps", null, null, null), true),
        ["the admin user is unrestricted"] =
            ("admin", new("delete", "", "secrets", null, "kube-system", "anything"), true),

        ["a valid ServiceAccount with no binding is denied"] =
            ("system:serviceaccount:shop:nobody", GetSecretInShop, false),
        ["a RoleBinding in shop does not reach billing"] =
            ("system:serviceaccount:shop:reader", GetSecretInShop with { Namespace = "billing" }, false),
        ["a RoleBinding in shop does not reach the cluster scope"] =
            ("system:serviceaccount:shop:reader", new("list", "", "secrets", null, null, null), false),
        ["a RoleBinding grants only the verbs its Role names"] =
            ("system:serviceaccount:shop:reader", GetSecretInShop with { Verb = "delete" }, false),
        ["a ClusterRoleBinding to ops/watcher does not match a watcher of another namespace"] =
            ("system:serviceaccount:shop:watcher", new("list", "", "configmaps", null, "shop", null), false),

        ["the prefix alone is denied, not taken for an unrestricted user"] =
            ("system:serviceaccount:", GetSecretInShop, false),
        ["a namespace without a name is denied, not taken for an unrestricted user"] =
            ("system:serviceaccount:shop", GetSecretInShop, false),
        ["an empty namespace is denied, even where a subject without a namespace names the account"] =
            ("system:serviceaccount::reader", GetSecretInShop, false),
        ["an empty name is denied"] =
            ("system:serviceaccount:shop:", GetSecretInShop, false),
        ["a fifth segment is denied, even where a subject carries the colon in its name"] =
            ("system:serviceaccount:shop:reader:extra", GetSecretInShop, false),
        ["a name with a space is denied, even where a subject names it"] =
            ("system:serviceaccount:shop:the reader", GetSecretInShop, false),
        ["an upper-case namespace and name are denied, even where a subject names them"] =
            ("system:serviceaccount:Shop:Reader", GetSecretInShop, false),
        ["a name with a slash is denied, even where a subject names it"] =
            ("system:serviceaccount:shop:a/b", GetSecretInShop, false),
        ["a namespace with a dot is denied: namespaces are DNS labels"] =
            ("system:serviceaccount:shop.x:reader", GetSecretInShop, false),
        ["a name with a trailing newline is denied"] =
            ("system:serviceaccount:shop:reader\n", GetSecretInShop, false),
        ["a namespace longer than 63 characters is denied"] =
            ($"system:serviceaccount:{new string('a', 64)}:reader", GetSecretInShop, false),
        ["a name longer than 253 characters is denied"] =
            ($"system:serviceaccount:shop:{new string('a', 254)}", GetSecretInShop, false),
        ["a ServiceAccount prefix in other letter case is denied, not taken for an unrestricted user"] =
            ("System:ServiceAccount:shop:reader", GetSecretInShop, false),
        ["a ServiceAccount prefix behind white space is denied, not taken for an unrestricted user"] =
            (" system:serviceaccount:shop:reader", GetSecretInShop, false),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    /// <summary>The user a bearer token authenticates as reaches the authorizer as <see cref="UserInfo.ForToken"/> builds it.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void A_request_is_allowed_only_for_a_well_formed_ServiceAccount_that_a_binding_names(string because)
    {
        var (user, request, allowed) = Table[because];
        var authorizer = new RbacAuthorizer(Cluster());

        var denial = Record.Exception(() => authorizer.Authorize(UserInfo.ForToken(user), request));

        if (allowed)
        {
            Assert.Null(denial);
        }
        else
        {
            var forbidden = Assert.IsType<ApiException>(denial);
            Assert.Equal(403, forbidden.Code);
            Assert.Equal("Forbidden", forbidden.Reason);
        }
    }

    [Fact]
    public void A_malformed_ServiceAccount_is_told_its_user_name_is_not_one()
    {
        var authorizer = new RbacAuthorizer(Cluster());

        var denial = Assert.IsType<ApiException>(Record.Exception(() => authorizer.Authorize(UserInfo.ForToken("system:serviceaccount:shop"), GetSecretInShop)));

        Assert.Contains("not a valid ServiceAccount user", denial.Message, StringComparison.Ordinal);
    }

    /// <summary>
    /// Impersonation hands the authorizer the user the headers name with only the groups they name: a user called
    /// "admin" that way is not the admin token's user, and gets nothing the admin token gets.
    /// </summary>
    [Fact]
    public void An_impersonated_user_named_admin_is_not_in_system_masters()
    {
        var authorizer = new RbacAuthorizer(Cluster());
        var impersonated = Impersonation.ActAs(new ImpersonationRequest("admin", [], null, new Dictionary<string, IReadOnlyList<string>>()));

        var denial = Assert.IsType<ApiException>(Record.Exception(() => authorizer.Authorize(impersonated, GetSecretInShop)));

        Assert.Equal(403, denial.Code);
        Assert.DoesNotContain(UserInfo.Masters, impersonated.Groups);
    }

    private static ObjectStore Cluster()
    {
        var store = new ObjectStore(100);
        store.Write(tx =>
        {
            tx.Put("roles", Role("shop", "reader", "secrets", "get", "list"));
            tx.Put("rolebindings", Binding("shop", "reader", "Role", "reader", Subject("shop", "reader")));
            tx.Put("clusterroles", Role(null, "config-lister", "configmaps", "list"));
            tx.Put("clusterrolebindings", Binding(null, "watcher", "ClusterRole", "config-lister", Subject("ops", "watcher")));

            // Bait: subjects an attacker's malformed user name would match if the parser were lenient.
            tx.Put("clusterroles", Role(null, "secret-reader", "secrets", "get", "list"));
            tx.Put("clusterrolebindings", Binding(null, "bait", "ClusterRole", "secret-reader",
                Subject(null, "reader"), Subject("shop", "reader:extra"), Subject("shop", "the reader"), Subject("Shop", "Reader"),
                Subject("shop", "a/b"), Subject("shop", ""), Subject("shop.x", "reader"), Subject("shop", "reader\n"),
                Subject(new string('a', 64), "reader"), Subject("shop", new string('a', 254))));
            return 0;
        });
        return store;
    }

    private static JsonObject Role(string? ns, string name, string resource, params string[] verbs) => new()
    {
        ["metadata"] = Metadata(ns, name),
        ["rules"] = new JsonArray(new JsonObject
        {
            ["apiGroups"] = new JsonArray(""),
            ["resources"] = new JsonArray(resource),
            ["verbs"] = new JsonArray([.. verbs.Select(v => JsonValue.Create(v))]),
        }),
    };

    private static JsonObject Binding(string? ns, string name, string roleKind, string roleName, params JsonObject[] subjects) => new()
    {
        ["metadata"] = Metadata(ns, name),
        ["roleRef"] = new JsonObject { ["apiGroup"] = "rbac.authorization.k8s.io", ["kind"] = roleKind, ["name"] = roleName },
        ["subjects"] = new JsonArray([.. subjects]),
    };

    private static JsonObject Subject(string? ns, string name)
    {
        var subject = new JsonObject { ["kind"] = "ServiceAccount", ["name"] = name };
        if (ns is not null)
        {
            subject["namespace"] = ns;
        }
        return subject;
    }

    private static JsonObject Metadata(string? ns, string name)
    {
        var metadata = new JsonObject { ["name"] = name };
        if (ns is not null)
        {
            metadata["namespace"] = ns;
        }
        return metadata;
    }
}
