using System.Net;
using k8s;
using k8s.Models;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests.Authorization;

/// <summary>
/// A server-side apply that finds no object creates one, and kube-apiserver then asks the authorizer for
/// <c>create</c> as well as the <c>patch</c> the request itself needs (withAuthorization in handlers/patch.go).
/// Written from the attacker's side: a ServiceAccount granted only patch and get, applying an object into being
/// with its own token.
/// </summary>
public sealed class ApplyCreateAuthorizationTests
{
    private static readonly Dictionary<string, (string Verbs, bool Exists, bool DryRun, HttpStatusCode Expected)> Table = new()
    {
        ["patch and get alone do not let an apply create a ConfigMap"] = ("get,patch", false, false, HttpStatusCode.Forbidden),
        ["patch and get alone do not let a dry-run apply create one either"] = ("get,patch", false, true, HttpStatusCode.Forbidden),
        ["create alone does not let an apply change an existing ConfigMap"] = ("create", true, false, HttpStatusCode.Forbidden),
        ["create alone does not let an apply create one: the request is still a patch"] = ("create", false, false, HttpStatusCode.Forbidden),

        ["patch lets an apply change an existing ConfigMap without create"] = ("get,patch", true, false, HttpStatusCode.OK),
        ["patch and create let an apply create a ConfigMap"] = ("create,patch", false, false, HttpStatusCode.Created),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public async Task An_apply_that_creates_needs_create_as_well_as_patch(string because)
    {
        var (verbs, exists, dryRun, expected) = Table[because];
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var account = $"system:serviceaccount:{ns}:attacker";
        var (_, kubeconfig) = await cluster.RequireLocal().AddUserAsync(account);
        await GrantAsync(cluster.Client, ns, "attacker", verbs.Split(','));
        if (exists)
        {
            await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new V1ObjectMeta { Name = "sneaky" } }, ns);
        }

        var (status, body) = await new RawApi(kubeconfig).SendTextAsync(HttpMethod.Patch,
            $"/api/v1/namespaces/{ns}/configmaps/sneaky?fieldManager=attacker{(dryRun ? "&dryRun=All" : "")}",
            "apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: sneaky\ndata:\n  planted: \"yes\"\n", "application/apply-patch+yaml");

        Assert.True(expected == status, $"{status}: {body.ToJsonString()}");
        if (expected == HttpStatusCode.Forbidden && !exists && verbs.Contains("patch", StringComparison.Ordinal))
        {
            Assert.Equal($"configmaps \"sneaky\" is forbidden: User \"{account}\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"{ns}\"",
                body["message"]?.ToString());
            var list = await cluster.Client.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: "metadata.name=sneaky");
            Assert.Empty(list.Items);
        }
    }

    [Fact]
    public async Task Kubectl_apply_server_side_with_patch_and_get_only_is_refused_the_create_in_kube_apiserver_words()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var account = $"system:serviceaccount:{ns}:attacker";
        var (_, kubeconfig) = await cluster.RequireLocal().AddUserAsync(account);
        await GrantAsync(cluster.Client, ns, "attacker", ["get", "patch"]);
        using var attacker = await Kubectl.ForAsync("1.35", kubeconfig);

        var result = await attacker.RunWithInputAsync($"""
            apiVersion: v1
            kind: ConfigMap
            metadata:
              name: sneaky
              namespace: {ns}
            data:
              planted: "yes"
            """, "apply", "--server-side", "-f", "-");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains($"configmaps \"sneaky\" is forbidden: User \"{account}\" cannot create resource \"configmaps\" in API group \"\" in the namespace \"{ns}\"",
            result.Output, StringComparison.Ordinal);
        Assert.Empty((await cluster.Client.CoreV1.ListNamespacedConfigMapAsync(ns, fieldSelector: "metadata.name=sneaky")).Items);
    }

    private static async Task GrantAsync(IKubernetes admin, string ns, string account, IList<string> verbs)
    {
        await admin.RbacAuthorizationV1.CreateNamespacedRoleAsync(new V1Role
        {
            Metadata = new V1ObjectMeta { Name = "configmap-writer" },
            Rules = [new V1PolicyRule { ApiGroups = [""], Resources = ["configmaps"], Verbs = verbs }],
        }, ns);
        await admin.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new V1RoleBinding
        {
            Metadata = new V1ObjectMeta { Name = "configmap-writer" },
            RoleRef = new V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "configmap-writer" },
            Subjects = [new Rbacv1Subject { Kind = "ServiceAccount", Name = account, NamespaceProperty = ns }],
        }, ns);
    }
}
