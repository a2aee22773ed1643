using k8s;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests;

/// <summary>
/// The flows users run with real, unmodified kubectl (1.32 from the PATH, 1.34 from the tool cache),
/// against the local control plane and, when configured, a real cluster.
/// </summary>
public sealed class KubectlTests
{
    public static TheoryData<ClusterKind, string> Targets => new()
    {
        { ClusterKind.Local, "1.32" },
        { ClusterKind.Local, "1.34" },
        { ClusterKind.RealCluster, "1.32" },
        { ClusterKind.K3s, "1.32" },
    };

    private static string Widget(Widgets widgets, string ns, string name, int size, string extraSpec = "") => $"""
        apiVersion: {widgets.ApiVersion}
        kind: Widget
        metadata:
          name: {name}
          namespace: {ns}
        spec:
          size: {size}{extraSpec}
        """;

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_CRD_applied_with_kubectl_becomes_Established_and_its_resources_are_served(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var widgets = new Widgets(cluster, $"w{Guid.NewGuid().ToString("N")[..8]}.sigil-test.dev");
        cluster.DeleteAtEnd(widgets.CrdName);

        Assert.Contains("created", await kubectl.ApplyAsync(widgets.Definition().ToJsonString()), StringComparison.Ordinal);
        Assert.Contains("condition met", await kubectl.OkAsync("wait", "--for=condition=Established", $"crd/{widgets.CrdName}", "--timeout=30s"), StringComparison.Ordinal);
        var resources = await kubectl.OkAsync("api-resources", "--api-group", widgets.Group);

        Assert.Contains("wdg", resources, StringComparison.Ordinal);
        Assert.Contains("Widget", resources, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Custom_resources_go_through_apply_get_describe_patch_label_annotate_and_delete(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);
        var resource = $"widgets.{widgets.Group}";

        Assert.Contains("created", await kubectl.ApplyAsync(Widget(widgets, ns, "w1", 3)), StringComparison.Ordinal);
        var table = await kubectl.OkAsync("get", resource, "-n", ns);
        var describe = await kubectl.OkAsync("describe", resource, "w1", "-n", ns);
        await kubectl.OkAsync("patch", resource, "w1", "-n", ns, "--type", "merge", "-p", """{"spec":{"size":5}}""");
        await kubectl.OkAsync("label", resource, "w1", "-n", ns, "team=payments");
        await kubectl.OkAsync("annotate", resource, "w1", "-n", ns, "sigil.dev/rotate=now");
        var selected = await kubectl.OkAsync("get", resource, "-n", ns, "-l", "team=payments", "-o", "jsonpath={.items[*].spec.size} {.items[*].metadata.annotations.sigil\\.dev/rotate}");
        var deleted = await kubectl.OkAsync("delete", resource, "w1", "-n", ns);
        var afterDelete = await kubectl.RunAsync("get", resource, "w1", "-n", ns);

        Assert.Matches(@"NAME\s+SIZE\s+READY\s+AGE", table);
        Assert.Matches(@"w1\s+3\s+", table);
        Assert.Matches(@"Size:\s+3", describe);
        Assert.Matches(@"Color:\s+red", describe);
        Assert.Equal("5 now", selected);
        Assert.Contains("deleted", deleted, StringComparison.Ordinal);
        Assert.NotEqual(0, afterDelete.ExitCode);
        Assert.Contains("NotFound", afterDelete.Output, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Secrets_go_through_create_apply_get_describe_label_and_delete(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();

        await kubectl.OkAsync("create", "secret", "generic", "created", "-n", ns, "--from-literal=password=hunter2");
        await kubectl.ApplyAsync($"""
            apiVersion: v1
            kind: Secret
            metadata: {"{"}name: applied, namespace: {ns}{"}"}
            type: kubernetes.io/tls
            stringData: {"{"}tls.crt: cert, tls.key: key{"}"}
            """);
        var table = await kubectl.OkAsync("get", "secrets", "-n", ns);
        var describe = await kubectl.OkAsync("describe", "secret", "applied", "-n", ns);
        await kubectl.OkAsync("label", "secret", "created", "-n", ns, "rotated=yes");
        var value = await kubectl.OkAsync("get", "secret", "created", "-n", ns, "-o", "jsonpath={.data.password} {.metadata.labels.rotated}");
        await kubectl.OkAsync("delete", "secret", "created", "applied", "-n", ns);
        var empty = await kubectl.RunAsync("get", "secrets", "-n", ns, "-o", "name");

        Assert.Matches(@"applied\s+kubernetes.io/tls\s+2\s+", table);
        Assert.Matches(@"created\s+Opaque\s+1\s+", table);
        Assert.Contains("tls.crt:  4 bytes", describe, StringComparison.Ordinal);
        Assert.Equal("aHVudGVyMg== yes", value);
        Assert.DoesNotContain("secret/created", empty.Stdout, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Get_watch_streams_changes_as_they_happen(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);
        await kubectl.ApplyAsync(Widget(widgets, ns, "watched", 1));

        using var watch = kubectl.Start("get", $"widgets.{widgets.Group}", "-n", ns, "-w");
        var lines = new List<string>();
        var reading = Task.Run(async () =>
        {
            while (await watch.StandardOutput.ReadLineAsync() is { } line)
            {
                lock (lines)
                {
                    lines.Add(line);
                }
            }
        });
        await Eventually.TrueAsync(() => Task.FromResult(Snapshot(lines).Any(l => l.StartsWith("watched", StringComparison.Ordinal))));
        await kubectl.OkAsync("patch", $"widgets.{widgets.Group}", "watched", "-n", ns, "--type", "merge", "-p", """{"spec":{"size":9}}""");
        await kubectl.ApplyAsync(Widget(widgets, ns, "second", 2));

        await Eventually.TrueAsync(() => Task.FromResult(
            Snapshot(lines).Any(l => System.Text.RegularExpressions.Regex.IsMatch(l, @"^watched\s+9\s")) && Snapshot(lines).Any(l => l.StartsWith("second", StringComparison.Ordinal))),
            because: "kubectl get -w printed: " + string.Join(" | ", Snapshot(lines)));
        watch.Kill(entireProcessTree: true);
        await reading.WaitAsync(TimeSpan.FromSeconds(10));
        Assert.Single(Snapshot(lines), l => l.StartsWith("NAME", StringComparison.Ordinal));
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Validation_errors_name_the_field_paths(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);

        var result = await kubectl.RunWithInputAsync(Widget(widgets, ns, "bad", 30, "\n  color: green\n  ttl: 5m"), "apply", "-f", "-");

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("is invalid", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("spec.size", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("spec.color", result.Stderr, StringComparison.Ordinal);
        Assert.Contains("spec.ttl", result.Stderr, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Re_applying_after_edits_changes_what_was_edited_and_keeps_the_rest(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);
        await kubectl.ApplyAsync(Widget(widgets, ns, "edited", 1, "\n  label: ab"));
        await kubectl.OkAsync("label", $"widgets.{widgets.Group}", "edited", "-n", ns, "kept=yes");

        var reapplied = await kubectl.ApplyAsync(Widget(widgets, ns, "edited", 4));
        var unchanged = await kubectl.ApplyAsync(Widget(widgets, ns, "edited", 4));
        var state = await kubectl.OkAsync("get", $"widgets.{widgets.Group}", "edited", "-n", ns,
            "-o", "jsonpath={.spec.size} {.spec.label} {.metadata.labels.kept} {.metadata.generation}");

        Assert.Contains("configured", reapplied, StringComparison.Ordinal);
        Assert.Contains("unchanged", unchanged, StringComparison.Ordinal);
        Assert.Equal("4  yes 2", state);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Re_applying_a_deployment_merges_containers_and_env_by_name(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        string Manifest(string image, string env) => $$$"""
            apiVersion: apps/v1
            kind: Deployment
            metadata: {name: web, namespace: {{{ns}}}}
            spec:
              selector: {matchLabels: {app: web}}
              template:
                metadata: {labels: {app: web}}
                spec:
                  containers:
                  - name: app
                    image: {{{image}}}
                    env: [{{{env}}}]
                  - name: sidecar
                    image: busybox:1.36
            """;
        await kubectl.ApplyAsync(Manifest("nginx:1.26", "{name: A, value: '1'}, {name: B, value: '2'}"));
        await kubectl.OkAsync("set", "env", "deployment/web", "-n", ns, "-c", "sidecar", "ADDED_BY_HAND=yes");

        await kubectl.ApplyAsync(Manifest("nginx:1.27", "{name: A, value: '1'}, {name: C, value: '3'}"));
        var state = await kubectl.OkAsync("get", "deployment", "web", "-n", ns, "-o",
            "jsonpath={.spec.template.spec.containers[0].image} {.spec.template.spec.containers[0].env[*].name} {.spec.template.spec.containers[1].env[*].name}");

        Assert.Equal("nginx:1.27 A C ADDED_BY_HAND", state);
    }

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task Describe_shows_the_events_recorded_about_an_object(ClusterKind kind, string version)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);
        var widget = await widgets.CreateAsync(ns, "noted");
        await cluster.Client.EventsV1.CreateNamespacedEventAsync(TestEvents.Issued("noted.1", new k8s.Models.V1ObjectReference
        {
            ApiVersion = widgets.ApiVersion, Kind = "Widget", Name = "noted", NamespaceProperty = ns, Uid = (string?)widget["metadata"]!["uid"],
        }, "issued certificate serial 0a1b"), ns);

        var describe = await kubectl.OkAsync("describe", $"widgets.{widgets.Group}", "noted", "-n", ns);
        var events = await kubectl.OkAsync("get", "events", "-n", ns);

        Assert.Matches(@"Normal\s+Issued\s+\S+\s+sigil.dev/operator\s+issued certificate serial 0a1b", describe);
        Assert.Matches(@"Normal\s+Issued\s+widget/noted\s+issued certificate serial 0a1b", events);
    }

    private static List<string> Snapshot(List<string> lines)
    {
        lock (lines)
        {
            return [.. lines];
        }
    }
}
