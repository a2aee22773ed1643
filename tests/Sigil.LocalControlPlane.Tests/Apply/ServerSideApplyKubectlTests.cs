using System.Net;
using System.Text.Json.Nodes;
using k8s;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests.Apply;

/// <summary>Server-side apply as real, unmodified kubectl (1.32, 1.34, 1.35) does it: create, update, conflicts, force, pruning, dry run.</summary>
public sealed class ServerSideApplyKubectlTests
{
    public static TheoryData<ClusterKind, string> Targets => new()
    {
        { ClusterKind.Local, "1.32" },
        { ClusterKind.Local, "1.34" },
        { ClusterKind.Local, "1.35" },
        { ClusterKind.RealCluster, "1.32" },
        { ClusterKind.K3s, "1.32" },
    };

    private static string Deployment(string ns, int replicas, string image = "nginx:1.27", string extraLabels = "") => $"""
        apiVersion: apps/v1
        kind: Deployment
        metadata:
          name: web
          namespace: {ns}
          labels:
            app: web{extraLabels}
        spec:
          replicas: {replicas}
          selector:
            matchLabels:
              app: web
          template:
            metadata:
              labels:
                app: web
            spec:
              containers:
              - name: app
                image: {image}
        """;

    private static string ConfigMap(string ns, params string[] entries) => $"""
        apiVersion: v1
        kind: ConfigMap
        metadata:
          name: settings
          namespace: {ns}
        data:
        {string.Concat(entries.Select(e => $"  {e}\n"))}
        """;

    private static JsonObject Fields(k8s.Models.V1ManagedFieldsEntry entry) => JsonNode.Parse(KubernetesJson.Serialize(entry.FieldsV1))!.AsObject();

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Apply_server_side_creates_and_updates_a_Deployment_and_a_ConfigMap_owned_by_kubectl(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();

        var createdDeployment = await kubectl.ApplyAsync(Deployment(ns, 2), "--server-side");
        var createdConfig = await kubectl.ApplyAsync(ConfigMap(ns, "a: \"1\"", "b: \"2\""), "--server-side");
        var updatedDeployment = await kubectl.ApplyAsync(Deployment(ns, 2, image: "nginx:1.28"), "--server-side");
        var updatedConfig = await kubectl.ApplyAsync(ConfigMap(ns, "a: \"10\"", "b: \"2\""), "--server-side");
        var deployment = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns);
        var config = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("settings", ns);

        Assert.Contains("serverside-applied", createdDeployment, StringComparison.Ordinal);
        Assert.Contains("serverside-applied", createdConfig, StringComparison.Ordinal);
        Assert.Contains("serverside-applied", updatedDeployment, StringComparison.Ordinal);
        Assert.Contains("serverside-applied", updatedConfig, StringComparison.Ordinal);
        Assert.Equal("nginx:1.28", Assert.Single(deployment.Spec.Template.Spec.Containers).Image);
        Assert.Equal(2, deployment.Spec.Replicas);
        Assert.Equal(2, deployment.Metadata.Generation);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "10", ["b"] = "2" }, config.Data);
        var owner = Assert.Single(deployment.Metadata.ManagedFields, m => m.Operation == "Apply");
        Assert.Equal("kubectl", owner.Manager);
        var fields = Fields(owner);
        Assert.NotNull(fields["f:spec"]?["f:replicas"]);
        Assert.NotNull(fields["f:spec"]?["f:template"]?["f:spec"]?["f:containers"]?["k:{\"name\":\"app\"}"]?["f:image"]);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_second_manager_changing_replicas_gets_the_conflict_and_takes_them_with_force_conflicts(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await kubectl.ApplyAsync(Deployment(ns, 2));

        var refused = await kubectl.RunWithInputAsync(Deployment(ns, 3), "apply", "-f", "-", "--server-side", "--field-manager", "other");
        var unchanged = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns);
        var forced = await kubectl.RunWithInputAsync(Deployment(ns, 3), "apply", "-f", "-", "--server-side", "--field-manager", "other", "--force-conflicts");
        var shown = await kubectl.OkAsync("get", "deployment", "web", "-n", ns, "-o", "yaml", "--show-managed-fields");
        var hidden = await kubectl.OkAsync("get", "deployment", "web", "-n", ns, "-o", "yaml");
        var taken = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns);

        Assert.NotEqual(0, refused.ExitCode);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"kubectl-client-side-apply\" using apps/v1: .spec.replicas", refused.Output, StringComparison.Ordinal);
        Assert.Equal(2, unchanged.Spec.Replicas);
        Assert.True(forced.ExitCode == 0, forced.Output);
        Assert.Equal(3, taken.Spec.Replicas);
        Assert.Matches(@"manager: other\s+operation: Apply", shown);
        Assert.DoesNotContain("managedFields", hidden, StringComparison.Ordinal);
        var other = Assert.Single(taken.Metadata.ManagedFields, m => m.Manager == "other");
        Assert.NotNull(Fields(other)["f:spec"]?["f:replicas"]);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Applying_the_same_value_as_another_manager_shares_it_without_a_conflict(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await kubectl.ApplyAsync(Deployment(ns, 2), "--server-side");

        await kubectl.ApplyAsync(Deployment(ns, 2), "--server-side", "--field-manager", "other");
        var shared = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns);

        Assert.Equal(["kubectl", "other"], shared.Metadata.ManagedFields.Where(m => Fields(m)["f:spec"]?["f:replicas"] is not null)
            .Select(m => m.Manager).Order());
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Removing_a_field_from_the_applied_file_removes_it_from_the_object(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await kubectl.ApplyAsync(Deployment(ns, 2, extraLabels: "\n    tier: front"), "--server-side");
        await kubectl.ApplyAsync(ConfigMap(ns, "a: \"1\"", "b: \"2\""), "--server-side");

        await kubectl.ApplyAsync(Deployment(ns, 2), "--server-side");
        await kubectl.ApplyAsync(ConfigMap(ns, "a: \"1\""), "--server-side");
        var deployment = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns);
        var config = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("settings", ns);

        Assert.Equal(new Dictionary<string, string> { ["app"] = "web" }, deployment.Metadata.Labels);
        Assert.Equal(new Dictionary<string, string> { ["a"] = "1" }, config.Data);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Apply_server_side_with_dry_run_server_changes_nothing(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await kubectl.ApplyAsync(ConfigMap(ns, "a: \"1\""), "--server-side");
        var before = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("settings", ns);

        var dryUpdate = await kubectl.ApplyAsync(ConfigMap(ns, "a: \"2\""), "--server-side", "--dry-run=server");
        var dryCreate = await kubectl.ApplyAsync(Deployment(ns, 1), "--server-side", "--dry-run=server");
        var after = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("settings", ns);
        var deployments = await cluster.Client.AppsV1.ListNamespacedDeploymentAsync(ns);

        Assert.Contains("serverside-applied (server dry run)", dryUpdate, StringComparison.Ordinal);
        Assert.Contains("serverside-applied (server dry run)", dryCreate, StringComparison.Ordinal);
        Assert.Equal("1", after.Data["a"]);
        Assert.Equal(before.Metadata.ResourceVersion, after.Metadata.ResourceVersion);
        Assert.Empty(deployments.Items);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_custom_resource_merges_its_map_list_by_key_between_managers(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var gadgets = await Gadgets.InstallAsync(cluster);

        await kubectl.ApplyAsync(gadgets.Manifest(ns, "g1", ("a", 1), ("b", 2)), "--server-side");
        await kubectl.ApplyAsync(gadgets.Manifest(ns, "g1", ("c", 3)), "--server-side", "--field-manager", "other");
        var both = await kubectl.OkAsync("get", gadgets.Resource, "g1", "-n", ns, "-o", "jsonpath={.spec.ports[*].name}");
        await kubectl.ApplyAsync(gadgets.Manifest(ns, "g1", ("a", 1)), "--server-side");
        var pruned = await kubectl.OkAsync("get", gadgets.Resource, "g1", "-n", ns, "-o", "jsonpath={.spec.ports[*].name}");
        var conflict = await kubectl.RunWithInputAsync(gadgets.Manifest(ns, "g1", ("a", 9), ("c", 3)), "apply", "-f", "-", "--server-side", "--field-manager", "other");

        Assert.Equal("a b c", both);
        Assert.Equal("a c", pruned);
        Assert.NotEqual(0, conflict.ExitCode);
        Assert.Contains("Apply failed with 1 conflict: conflict with \"kubectl\": .spec.ports[name=\"a\"].port", conflict.Output, StringComparison.Ordinal);
    }
}
