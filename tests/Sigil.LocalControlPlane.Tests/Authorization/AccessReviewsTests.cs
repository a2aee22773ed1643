using System.Text.Json.Nodes;
using Sigil.LocalControlPlane.Authorization;
using Sigil.LocalControlPlane.Semantics;
using static Sigil.LocalControlPlane.Tests.Authorization.RbacFixture;

namespace Sigil.LocalControlPlane.Tests.Authorization;

/// <summary>The four access review kinds: validated as kube-apiserver validates them, answered by <see cref="RbacPolicy"/>.</summary>
public sealed class AccessReviewsTests
{
    private static RbacFixture Cluster() => new RbacFixture()
        .Role("shop", "reader", Rule("get,list", "", "secrets"))
        .RoleBinding("shop", "reader", "Role", "reader", ServiceAccount("shop", "reader"))
        .ClusterRole("pod-lister", Rule("list", "", "pods"))
        .RoleBinding("shop", "every-account", "ClusterRole", "pod-lister", Group("system:serviceaccounts:shop"));

    private static JsonObject Review(JsonObject spec, JsonObject? metadata = null) => new() { ["metadata"] = metadata ?? [], ["spec"] = spec };

    private static JsonObject ListSecrets(string ns) => new() { ["namespace"] = ns, ["verb"] = "list", ["resource"] = "secrets" };

    private static JsonNode? Status(JsonObject answer, string field) => answer["status"]?[field];

    [Fact]
    public void A_self_review_for_another_namespace_answers_by_the_bindings_there()
    {
        var here = AccessReviews.Answer("SelfSubjectAccessReview", null, Review(new() { ["resourceAttributes"] = ListSecrets("shop") }), Account("shop", "reader"), Cluster());
        var there = AccessReviews.Answer("SelfSubjectAccessReview", null, Review(new() { ["resourceAttributes"] = ListSecrets("billing") }), Account("shop", "reader"), Cluster());

        Assert.True((bool)Status(here, "allowed")!);
        Assert.Equal("RBAC: allowed by RoleBinding \"reader/shop\" of Role \"reader\" to ServiceAccount \"reader/shop\"", Status(here, "reason")?.ToString());
        Assert.False((bool)Status(there, "allowed")!);
        Assert.Null(Status(there, "reason"));
        Assert.Equal("SelfSubjectAccessReview", there["kind"]?.ToString());
        Assert.Equal("billing", there["spec"]?["resourceAttributes"]?["namespace"]?.ToString());
    }

    [Fact]
    public void A_SubjectAccessReview_answers_for_exactly_the_user_and_groups_it_names()
    {
        var nameOnly = AccessReviews.Answer("SubjectAccessReview", null, Review(new()
        {
            ["user"] = "system:serviceaccount:shop:anyone", ["resourceAttributes"] = new JsonObject { ["namespace"] = "shop", ["verb"] = "list", ["resource"] = "pods" },
        }), UserInfo.ForToken("admin"), Cluster());
        var withGroups = AccessReviews.Answer("SubjectAccessReview", null, Review(new()
        {
            ["user"] = "system:serviceaccount:shop:anyone", ["groups"] = new JsonArray("system:serviceaccounts:shop"),
            ["resourceAttributes"] = new JsonObject { ["namespace"] = "shop", ["verb"] = "list", ["resource"] = "pods" },
        }), UserInfo.ForToken("admin"), Cluster());
        var mastersGroup = AccessReviews.Answer("SubjectAccessReview", null, Review(new()
        {
            ["groups"] = new JsonArray("system:masters"), ["nonResourceAttributes"] = new JsonObject { ["path"] = "/metrics", ["verb"] = "get" },
        }), Account("shop", "reader"), Cluster());

        Assert.False((bool)Status(nameOnly, "allowed")!);
        Assert.True((bool)Status(withGroups, "allowed")!);
        Assert.True((bool)Status(mastersGroup, "allowed")!);
    }

    [Fact]
    public void A_SubjectAccessReview_for_a_malformed_ServiceAccount_is_denied_with_the_reason()
    {
        var answer = AccessReviews.Answer("SubjectAccessReview", null, Review(new()
        {
            ["user"] = "system:serviceaccount:shop", ["groups"] = new JsonArray("system:masters"), ["resourceAttributes"] = ListSecrets("shop"),
        }), UserInfo.ForToken("admin"), Cluster());

        Assert.False((bool)Status(answer, "allowed")!);
        Assert.Contains("not a valid ServiceAccount user", Status(answer, "reason")?.ToString(), StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string?, string> Invalid => new()
    {
        { "a review without attributes", "SelfSubjectAccessReview", null, "spec.resourceAttributes" },
        { "a review with both kinds of attributes", "SelfSubjectAccessReview", null, "spec.nonResourceAttributes" },
        { "a review with a name", "SelfSubjectAccessReview", null, "metadata" },
        { "a SubjectAccessReview naming neither user nor group", "SubjectAccessReview", null, "spec.user" },
        { "a local review asking about another namespace", "LocalSubjectAccessReview", "shop", "spec.resourceAttributes.namespace" },
        { "a local review asking about a path", "LocalSubjectAccessReview", "shop", "spec.nonResourceAttributes" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void Invalid_reviews_are_refused_with_the_field_at_fault(string why, string kind, string? ns, string field)
    {
        var spec = why switch
        {
            "a review without attributes" => new JsonObject(),
            "a review with both kinds of attributes" => new JsonObject { ["resourceAttributes"] = ListSecrets("shop"), ["nonResourceAttributes"] = new JsonObject { ["path"] = "/", ["verb"] = "get" } },
            "a SubjectAccessReview naming neither user nor group" => new JsonObject { ["resourceAttributes"] = ListSecrets("shop") },
            "a local review asking about another namespace" => new JsonObject { ["user"] = "jane", ["resourceAttributes"] = ListSecrets("billing") },
            "a local review asking about a path" => new JsonObject { ["user"] = "jane", ["nonResourceAttributes"] = new JsonObject { ["path"] = "/", ["verb"] = "get" } },
            _ => new JsonObject { ["resourceAttributes"] = ListSecrets("shop") },
        };
        var metadata = why == "a review with a name" ? new JsonObject { ["name"] = "x" } : null;

        var refusal = Assert.Throws<ApiException>(() => AccessReviews.Answer(kind, ns, Review(spec, metadata), Account("shop", "reader"), Cluster()));

        Assert.Equal(422, refusal.Code);
        Assert.Contains((refusal.Details!["causes"] as JsonArray)!, c => c?["field"]?.ToString() == field);
    }

    [Fact]
    public void A_local_review_whose_body_names_another_namespace_is_a_bad_request()
    {
        var refusal = Assert.Throws<ApiException>(() => AccessReviews.Answer("LocalSubjectAccessReview", "shop",
            Review(new() { ["user"] = "jane", ["resourceAttributes"] = ListSecrets("billing") }, new JsonObject { ["namespace"] = "billing" }),
            UserInfo.ForToken("admin"), Cluster()));

        Assert.Equal(400, refusal.Code);
    }

    [Fact]
    public void A_rules_review_lists_the_ServiceAccount_rules_in_the_namespace_asked_about()
    {
        var shop = AccessReviews.Answer("SelfSubjectRulesReview", null, Review(new() { ["namespace"] = "shop" }), Account("shop", "reader"), Cluster());
        var billing = AccessReviews.Answer("SelfSubjectRulesReview", null, Review(new() { ["namespace"] = "billing" }), Account("shop", "reader"), Cluster());

        var shopResources = (Status(shop, "resourceRules") as JsonArray)!.SelectMany(r => (r!["resources"] as JsonArray ?? [])!.Select(x => x!.ToString())).ToList();
        var billingResources = (Status(billing, "resourceRules") as JsonArray)!.SelectMany(r => (r!["resources"] as JsonArray ?? [])!.Select(x => x!.ToString())).ToList();
        Assert.Contains("secrets", shopResources);
        Assert.Contains("pods", shopResources);
        Assert.Contains("selfsubjectaccessreviews", shopResources);
        Assert.DoesNotContain("secrets", billingResources);
        Assert.DoesNotContain("*", shopResources);
        Assert.Contains((Status(shop, "nonResourceRules") as JsonArray)!, r => r!["nonResourceURLs"]!.AsArray().Any(u => u!.ToString() == "/version"));
    }

    [Fact]
    public void A_rules_review_for_a_malformed_ServiceAccount_lists_nothing_and_says_why()
    {
        var answer = AccessReviews.Answer("SelfSubjectRulesReview", null, Review(new() { ["namespace"] = "shop" }), UserInfo.ForToken("system:serviceaccount:shop"), Cluster());

        Assert.Empty((Status(answer, "resourceRules") as JsonArray)!);
        Assert.Empty((Status(answer, "nonResourceRules") as JsonArray)!);
        Assert.Contains("not a valid ServiceAccount user", Status(answer, "evaluationError")?.ToString(), StringComparison.Ordinal);
    }
}
