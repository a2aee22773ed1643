using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Sigil.LocalControlPlane;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests.Http;

/// <summary>Transport, auth, discovery, request counting and fault injection of the local control plane.</summary>
public sealed class ApiEndpointTests
{
    [Fact]
    public async Task A_request_without_the_bearer_token_gets_401_with_a_Status_body()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);

        var (status, body) = await cluster.Api.SendAsync(HttpMethod.Get, "/api/v1/namespaces", authenticate: false);

        Assert.Equal(HttpStatusCode.Unauthorized, status);
        Assert.Equal("Status", (string?)body["kind"]);
        Assert.Equal("Unauthorized", (string?)body["reason"]);
    }

    [Fact]
    public async Task It_serves_HTTPS_on_loopback_with_a_CA_the_kubeconfig_carries()
    {
        await using var cluster = await LocalCluster.StartAsync();

        var kubeconfig = await File.ReadAllTextAsync(cluster.KubeconfigPath);

        Assert.Equal("https", cluster.Server.Scheme);
        Assert.Equal("127.0.0.1", cluster.Server.Host);
        Assert.Contains("certificate-authority-data:", kubeconfig, StringComparison.Ordinal);
        Assert.Contains($"token: {cluster.AdminToken}", kubeconfig, StringComparison.Ordinal);
        Assert.DoesNotContain("insecure-skip-tls-verify", kubeconfig, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_fixed_port_is_honoured()
    {
        var port = FreePort();
        await using var cluster = await LocalCluster.StartAsync(new LocalClusterOptions { Port = port });

        Assert.Equal(port, cluster.Server.Port);
        Assert.NotEmpty((await cluster.Client.CoreV1.ListNamespaceAsync()).Items);
    }

    [Fact]
    public async Task Discovery_lists_the_built_in_kinds_with_their_scope()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);

        var (_, version) = await cluster.Api.GetAsync("/version");
        var (_, core) = await cluster.Api.GetAsync("/api/v1");
        var (_, apps) = await cluster.Api.GetAsync("/apis/apps/v1");
        var (_, groups) = await cluster.Api.GetAsync("/apis");

        Assert.Equal("1", (string?)version["major"]);
        bool Namespaced(JsonObject list, string name) => (bool)list["resources"]!.AsArray().Single(r => (string?)r!["name"] == name)!["namespaced"]!;
        Assert.True(Namespaced(core, "secrets"));
        Assert.False(Namespaced(core, "namespaces"));
        Assert.True(Namespaced(apps, "deployments"));
        Assert.Contains(apps["resources"]!.AsArray(), r => (string?)r!["name"] == "deployments/status");
        var groupNames = groups["groups"]!.AsArray().Select(g => (string?)g!["name"]).ToList();
        Assert.Superset(new HashSet<string?> { "apps", "apiextensions.k8s.io", "coordination.k8s.io", "events.k8s.io", "rbac.authorization.k8s.io", "policy" }, groupNames.ToHashSet());
    }

    [Fact]
    public async Task The_default_namespaces_exist_at_start()
    {
        await using var cluster = await LocalCluster.StartAsync();

        var names = (await cluster.Client.CoreV1.ListNamespaceAsync()).Items.Select(n => n.Metadata.Name);

        Assert.Superset(new HashSet<string> { "default", "kube-system" }, names.ToHashSet());
    }

    [Fact]
    public async Task Requests_are_counted_by_verb_resource_and_namespace()
    {
        await using var cluster = await LocalCluster.StartAsync();
        cluster.Requests.Clear();

        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new() { Name = "a" } }, "default");
        await cluster.Client.CoreV1.ReadNamespacedSecretAsync("a", "default");
        await cluster.Client.CoreV1.ListNamespacedSecretAsync("kube-system");
        await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"labels":{"x":"y"}}}""", V1Patch.PatchType.MergePatch), "a", "default");

        Assert.Equal(1, cluster.Requests.Count("create", "secrets", "default"));
        Assert.Equal(1, cluster.Requests.Count("get", "secrets", "default"));
        Assert.Equal(1, cluster.Requests.Count("list", "secrets", "kube-system"));
        Assert.Equal(2, cluster.Requests.Writes("secrets"));
        Assert.Equal(4, cluster.Requests.All.Count);
    }

    [Fact]
    public async Task Injected_failures_hit_only_the_next_matching_requests()
    {
        await using var cluster = await LocalCluster.StartAsync();
        cluster.Faults.FailNext(2, 500, r => r.Verb == "create" && r.Resource == "configmaps");

        var first = await ApiErrors.CatchAsync(() => cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "c" } }, "default"));
        var second = await ApiErrors.CatchAsync(() => cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "c" } }, "default"));
        await cluster.Client.CoreV1.ListNamespacedConfigMapAsync("default");
        var third = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "c" } }, "default");

        Assert.Equal(HttpStatusCode.InternalServerError, first.Code);
        Assert.Equal("InternalError", (string?)first.Status["reason"]);
        Assert.Equal(HttpStatusCode.InternalServerError, second.Code);
        Assert.Equal("c", third.Metadata.Name);
    }

    [Fact]
    public async Task Injected_conflicts_look_like_real_conflicts()
    {
        await using var cluster = await LocalCluster.StartAsync();
        cluster.Faults.FailNext(1, 409, r => r.Verb == "update");
        var cm = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "c" } }, "default");

        var (code, status) = await ApiErrors.CatchAsync(() => cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(cm, "c", "default"));

        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Equal("Conflict", (string?)status["reason"]);
    }

    [Fact]
    public async Task Injected_latency_delays_matching_requests_until_reset()
    {
        await using var cluster = await LocalCluster.StartAsync();
        cluster.Faults.AddLatency(TimeSpan.FromMilliseconds(400), r => r.Resource == "secrets");

        var delayed = cluster.Client.CoreV1.ListNamespacedSecretAsync("default");
        var quick = cluster.Client.CoreV1.ListNamespacedConfigMapAsync("default");
        var first = await Task.WhenAny(delayed, quick);
        await delayed;
        cluster.Faults.Reset();

        Assert.Same(quick, first);
    }

    [Fact]
    public async Task Strategic_merge_patch_is_refused_for_custom_resources_as_on_a_real_cluster()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);
        await widgets.CreateAsync(ns, "w");

        var (status, _) = await cluster.Api.SendAsync(HttpMethod.Patch, widgets.Path(ns, "w"), JsonNode.Parse("""{"spec":{"size":2}}"""), "application/strategic-merge-patch+json");

        Assert.Equal(HttpStatusCode.UnsupportedMediaType, status);
    }

    private static int FreePort()
    {
        using var listener = new System.Net.Sockets.TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        return ((IPEndPoint)listener.LocalEndpoint).Port;
    }
}
