using Sigil.LocalControlPlane.Authorization;
using Sigil.LocalControlPlane.Semantics;
using static Sigil.LocalControlPlane.Tests.Authorization.RbacFixture;

namespace Sigil.LocalControlPlane.Tests.Authorization;

/// <summary>
/// Impersonate-* headers: what they ask for, what the requester must hold for it, and whom the request then acts as.
/// The attack cases combine all three with <see cref="RbacPolicy"/>, as the endpoint does.
/// </summary>
public sealed class ImpersonationTests
{
    private static KeyValuePair<string, IReadOnlyList<string>> Header(string name, params string[] values) => KeyValuePair.Create(name, (IReadOnlyList<string>)values);

    private static RbacFixture Cluster() => new RbacFixture()
        .ClusterRole("impersonate-reader", Rule("impersonate", "", "serviceaccounts", names: "reader"))
        .RoleBinding("shop", "helper", "ClusterRole", "impersonate-reader", ServiceAccount("ops", "helper"))
        .ClusterRole("impersonate-jane", Rule("impersonate", "", "users", names: "jane"))
        .ClusterRoleBinding("helper", "impersonate-jane", ServiceAccount("ops", "helper"));

    private static readonly Dictionary<string, (UserInfo Requester, KeyValuePair<string, IReadOnlyList<string>>[] Headers, bool Allowed)> Attacks = new()
    {
        ["the admin may impersonate anyone"] =
            (UserInfo.ForToken("admin"), [Header("Impersonate-User", "system:serviceaccount:shop:reader"), Header("Impersonate-Group", "system:masters")], true),
        ["a holder of a named grant may impersonate that account"] =
            (Account("ops", "helper"), [Header("Impersonate-User", "system:serviceaccount:shop:reader")], true),
        ["a holder of a named user grant may impersonate that user"] =
            (Account("ops", "helper"), [Header("Impersonate-User", "jane")], true),

        ["a ServiceAccount may not impersonate the admin"] =
            (Account("shop", "nobody"), [Header("Impersonate-User", "admin")], false),
        ["a ServiceAccount may not impersonate another ServiceAccount"] =
            (Account("shop", "nobody"), [Header("Impersonate-User", "system:serviceaccount:shop:reader")], false),
        ["a ServiceAccount may not impersonate itself into system:masters"] =
            (Account("shop", "nobody"), [Header("Impersonate-User", "system:serviceaccount:shop:nobody"), Header("Impersonate-Group", "system:masters")], false),
        ["a user grant does not carry a group along"] =
            (Account("ops", "helper"), [Header("Impersonate-User", "jane"), Header("Impersonate-Group", "system:masters")], false),
        ["a user grant does not carry a uid along"] =
            (Account("ops", "helper"), [Header("Impersonate-User", "jane"), Header("Impersonate-Uid", "1234")], false),
        ["a user grant does not carry extra attributes along"] =
            (Account("ops", "helper"), [Header("Impersonate-User", "jane"), Header("Impersonate-Extra-Scopes", "admin")], false),
        ["a grant for shop/reader does not reach billing/reader"] =
            (Account("ops", "helper"), [Header("Impersonate-User", "system:serviceaccount:billing:reader")], false),
        ["a malformed ServiceAccount name is a user name, which a ServiceAccount grant does not cover"] =
            (Account("ops", "helper"), [Header("Impersonate-User", "system:serviceaccount:shop:reader:x")], false),
        ["a ServiceAccount prefix in other letter case is a user name, which a ServiceAccount grant does not cover"] =
            (Account("ops", "helper"), [Header("impersonate-user", "System:ServiceAccount:shop:reader")], false),
    };

    public static TheoryData<string> AttackCases => [.. Attacks.Keys];

    [Theory]
    [MemberData(nameof(AttackCases))]
    public void Impersonation_is_allowed_only_when_the_requester_holds_every_permission_it_needs(string because)
    {
        var (requester, headers, allowed) = Attacks[because];
        var wanted = Impersonation.Parse(headers)!;

        var decisions = Impersonation.RequiredPermissions(wanted).Select(p => RbacPolicy.Decide(requester, p, Cluster())).ToList();

        Assert.Equal(allowed, decisions.All(d => d.Allowed));
    }

    public static TheoryData<string, string> WithoutUser => new()
    {
        { "Impersonate-Group", "system:masters" },
        { "Impersonate-Uid", "1234" },
        { "Impersonate-Extra-Scopes", "admin" },
    };

    [Theory]
    [MemberData(nameof(WithoutUser))]
    public void Impersonating_anything_without_a_user_is_a_bad_request(string header, string value)
    {
        var refusal = Assert.Throws<ApiException>(() => Impersonation.Parse([Header(header, value), Header("Impersonate-User", "")]));

        Assert.Equal(400, refusal.Code);
        Assert.Contains("without impersonating a user", refusal.Message, StringComparison.Ordinal);
    }

    [Fact]
    public void A_request_without_impersonation_headers_asks_for_none()
    {
        Assert.Null(Impersonation.Parse([Header("Authorization", "Bearer x"), Header("Accept", "application/json")]));
    }

    [Fact]
    public void A_ServiceAccount_is_impersonated_in_its_namespace_and_others_at_the_cluster_scope()
    {
        var wanted = Impersonation.Parse([
            Header("Impersonate-User", "system:serviceaccount:shop:reader"), Header("Impersonate-Group", "team-a", "team-b"),
            Header("Impersonate-Extra-Scopes", "view"), Header("Impersonate-Uid", "u-1")])!;

        var checks = Impersonation.RequiredPermissions(wanted);

        Assert.Equal(
        [
            new AccessAttributes("impersonate", "", "serviceaccounts", null, "shop", "reader"),
            new AccessAttributes("impersonate", "", "groups", null, null, "team-a"),
            new AccessAttributes("impersonate", "", "groups", null, null, "team-b"),
            new AccessAttributes("impersonate", "authentication.k8s.io", "userextras", "scopes", null, "view"),
            new AccessAttributes("impersonate", "authentication.k8s.io", "uids", null, null, "u-1"),
        ], checks);
    }

    [Fact]
    public void An_impersonated_ServiceAccount_without_groups_gets_its_token_groups()
    {
        var user = Impersonation.ActAs(Impersonation.Parse([Header("Impersonate-User", "system:serviceaccount:shop:reader")])!);

        Assert.Equal(["system:serviceaccounts", "system:serviceaccounts:shop", "system:authenticated"], user.Groups);
    }

    [Fact]
    public void An_impersonated_user_gets_exactly_the_named_groups_and_system_authenticated()
    {
        var user = Impersonation.ActAs(Impersonation.Parse([Header("Impersonate-User", "system:serviceaccount:shop:reader"), Header("Impersonate-Group", "team-a")])!);
        var admin = Impersonation.ActAs(Impersonation.Parse([Header("Impersonate-User", "admin")])!);

        Assert.Equal(["team-a", "system:authenticated"], user.Groups);
        Assert.Equal(["system:authenticated"], admin.Groups);
    }

    [Fact]
    public void An_impersonated_unauthenticated_group_is_not_made_authenticated()
    {
        var user = Impersonation.ActAs(Impersonation.Parse([Header("Impersonate-User", "someone"), Header("Impersonate-Group", "system:unauthenticated")])!);

        Assert.Equal(["system:unauthenticated"], user.Groups);
    }

    [Fact]
    public void Extra_keys_are_lower_cased_and_percent_decoded()
    {
        var wanted = Impersonation.Parse([Header("Impersonate-User", "jane"), Header("Impersonate-Extra-Example.com%2FScopes", "a", "b")])!;

        Assert.Equal(["a", "b"], Assert.Single(wanted.Extra, e => e.Key == "example.com/scopes").Value);
    }
}
