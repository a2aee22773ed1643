using System.Net;
using k8s;
using k8s.Autorest;
using k8s.Models;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests.Authorization;

/// <summary>authorization.k8s.io/v1 through KubernetesClient's typed methods, against the local control plane and real clusters.</summary>
public sealed class AccessReviewApiTests
{
    private static V1ResourceAttributes ListSecrets(string ns) => new() { NamespaceProperty = ns, Verb = "list", Resource = "secrets" };

    private static async Task BindSecretReaderAsync(IKubernetes client, string ns, string account)
    {
        await client.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "secret-reader" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["list"] }],
        }, ns);
        await client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "secret-reader" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "secret-reader" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = account, NamespaceProperty = ns }],
        }, ns);
    }

    [Theory]
    [MemberData(nameof(TestCluster.Kinds), MemberType = typeof(TestCluster))]
    public async Task A_SubjectAccessReview_answers_for_the_named_ServiceAccount_by_its_bindings(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        V1SubjectAccessReview Review() => new()
        {
            Spec = new V1SubjectAccessReviewSpec
            {
                User = $"system:serviceaccount:{ns}:reader",
                Groups = ["system:serviceaccounts", $"system:serviceaccounts:{ns}", "system:authenticated"],
                ResourceAttributes = ListSecrets(ns),
            },
        };

        var before = await cluster.Client.AuthorizationV1.CreateSubjectAccessReviewAsync(Review());
        await BindSecretReaderAsync(cluster.Client, ns, "reader");
        var after = await cluster.Client.AuthorizationV1.CreateSubjectAccessReviewAsync(Review());

        Assert.False(before.Status.Allowed);
        Assert.True(after.Status.Allowed);
        Assert.Equal($"system:serviceaccount:{ns}:reader", after.Spec.User);
    }

    [Theory]
    [MemberData(nameof(TestCluster.Kinds), MemberType = typeof(TestCluster))]
    public async Task A_SelfSubjectAccessReview_tells_the_admin_yes(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);

        var review = await cluster.Client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec { ResourceAttributes = new V1ResourceAttributes { Verb = "delete", Resource = "namespaces" } },
        });

        Assert.True(review.Status.Allowed);
    }

    [Fact]
    public async Task A_ServiceAccount_asks_about_itself_freely_and_about_others_only_with_RBAC()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        var ns = await cluster.CreateNamespaceAsync();
        var (client, _) = await local.AddUserAsync($"system:serviceaccount:{ns}:reader");
        await BindSecretReaderAsync(cluster.Client, ns, "reader");

        var self = await client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec { ResourceAttributes = ListSecrets(ns) },
        });
        var elsewhere = await client.AuthorizationV1.CreateSelfSubjectAccessReviewAsync(new V1SelfSubjectAccessReview
        {
            Spec = new V1SelfSubjectAccessReviewSpec { ResourceAttributes = ListSecrets("default") },
        });
        var others = await Assert.ThrowsAsync<HttpOperationException>(() => client.AuthorizationV1.CreateSubjectAccessReviewAsync(new V1SubjectAccessReview
        {
            Spec = new V1SubjectAccessReviewSpec { User = "admin", ResourceAttributes = ListSecrets(ns) },
        }));
        var local403 = await Assert.ThrowsAsync<HttpOperationException>(() => client.AuthorizationV1.CreateNamespacedLocalSubjectAccessReviewAsync(new V1LocalSubjectAccessReview
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = ns },
            Spec = new V1SubjectAccessReviewSpec { User = "admin", ResourceAttributes = ListSecrets(ns) },
        }, ns));

        Assert.True(self.Status.Allowed);
        Assert.False(elsewhere.Status.Allowed);
        Assert.Equal(HttpStatusCode.Forbidden, others.Response.StatusCode);
        Assert.Equal($"subjectaccessreviews.authorization.k8s.io is forbidden: User \"system:serviceaccount:{ns}:reader\" cannot create resource \"subjectaccessreviews\" in API group \"authorization.k8s.io\" at the cluster scope",
            System.Text.Json.Nodes.JsonNode.Parse(others.Response.Content)?["message"]?.ToString());
        Assert.Equal(HttpStatusCode.Forbidden, local403.Response.StatusCode);
    }

    [Theory]
    [MemberData(nameof(TestCluster.Kinds), MemberType = typeof(TestCluster))]
    public async Task A_LocalSubjectAccessReview_answers_in_its_namespace_and_refuses_to_look_into_another(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await BindSecretReaderAsync(cluster.Client, ns, "reader");
        V1LocalSubjectAccessReview Review(string asked) => new()
        {
            Metadata = new V1ObjectMeta { NamespaceProperty = ns },
            Spec = new V1SubjectAccessReviewSpec { User = $"system:serviceaccount:{ns}:reader", ResourceAttributes = ListSecrets(asked) },
        };

        var here = await cluster.Client.AuthorizationV1.CreateNamespacedLocalSubjectAccessReviewAsync(Review(ns), ns);
        var there = await Assert.ThrowsAsync<HttpOperationException>(() => cluster.Client.AuthorizationV1.CreateNamespacedLocalSubjectAccessReviewAsync(Review("default"), ns));

        Assert.True(here.Status.Allowed);
        Assert.Equal((HttpStatusCode)422, there.Response.StatusCode);
        Assert.Contains("spec.resourceAttributes.namespace", there.Response.Content, StringComparison.Ordinal);
    }

    /// <summary>
    /// Without a namespace in the path there is nothing to confine the review to, so it would answer cluster-scope
    /// questions (who may list secrets everywhere) to a namespace's admin; kube-apiserver has no such route.
    /// </summary>
    [Theory]
    [MemberData(nameof(TestCluster.Kinds), MemberType = typeof(TestCluster))]
    public async Task A_LocalSubjectAccessReview_without_a_namespace_in_the_path_finds_no_route(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var review = new System.Text.Json.Nodes.JsonObject
        {
            ["apiVersion"] = "authorization.k8s.io/v1",
            ["kind"] = "LocalSubjectAccessReview",
            ["spec"] = new System.Text.Json.Nodes.JsonObject
            {
                ["user"] = "system:serviceaccount:default:reader",
                ["resourceAttributes"] = new System.Text.Json.Nodes.JsonObject { ["verb"] = "list", ["resource"] = "secrets" },
            },
        };

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Post, "/apis/authorization.k8s.io/v1/localsubjectaccessreviews", review);

        Assert.Equal(HttpStatusCode.NotFound, status);
        Assert.Equal("Status", body["kind"]?.ToString());
        Assert.Equal("NotFound", body["reason"]?.ToString());
    }

    [Theory]
    [MemberData(nameof(TestCluster.Kinds), MemberType = typeof(TestCluster))]
    public async Task Discovery_serves_the_review_kinds_as_create_only(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);

        var resources = await cluster.Client.AuthorizationV1.GetAPIResourcesAsync();

        foreach (var (name, namespaced) in new[] { ("selfsubjectaccessreviews", false), ("selfsubjectrulesreviews", false), ("subjectaccessreviews", false), ("localsubjectaccessreviews", true) })
        {
            var resource = Assert.Single(resources.Resources, r => r.Name == name);
            Assert.Equal(["create"], resource.Verbs);
            Assert.Equal(namespaced, resource.Namespaced);
        }
    }
}
