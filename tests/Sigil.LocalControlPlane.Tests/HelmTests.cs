using k8s;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests;

/// <summary>A chart's whole life with real helm (helm 4 with its default, server-side apply): install, upgrade with changed values, uninstall.</summary>
public sealed class HelmTests
{
    public static TheoryData<ClusterKind, string> Targets => new()
    {
        { ClusterKind.Local, "3" },
        { ClusterKind.Local, "4" },
        { ClusterKind.RealCluster, "3" },
        { ClusterKind.K3s, "3" },
    };

    private static string Chart => Path.Combine(AppContext.BaseDirectory, "Charts", "demo");

    [Theory]
    [MemberData(nameof(Targets))]
    public async Task A_chart_installs_upgrades_keeping_what_did_not_change_and_uninstalls(ClusterKind kind, string helmVersion)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        using var helm = await Helm.ForAsync(helmVersion, cluster);
        var ns = await cluster.CreateNamespaceAsync();

        var installed = await helm.OkAsync(["install", "demo", Chart, "-n", ns]);
        var before = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("demo-web", ns);
        await helm.OkAsync(["upgrade", "demo", Chart, "-n", ns, "--set", "image.tag=1.27", "--set", "env.B=3", "--set", "greeting=hi"]);
        var after = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("demo-web", ns);
        var config = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("demo-config", ns);
        var history = await helm.OkAsync("history", "demo", "-n", ns);

        Assert.Contains("STATUS: deployed", installed, StringComparison.Ordinal);
        Assert.Equal("nginx:1.26", before.Spec.Template.Spec.Containers[0].Image);
        var app = after.Spec.Template.Spec.Containers[0];
        Assert.Equal("nginx:1.27", app.Image);
        Assert.Equal(["A=1", "B=3"], app.Env.Select(e => $"{e.Name}={e.Value}"));
        Assert.Equal(8080, Assert.Single(app.Ports).ContainerPort);
        Assert.Equal("/etc/demo", Assert.Single(app.VolumeMounts).MountPath);
        Assert.Equal(["app", "sidecar"], after.Spec.Template.Spec.Containers.Select(c => c.Name));
        Assert.Equal("busybox:1.36", after.Spec.Template.Spec.Containers[1].Image);
        Assert.Equal(before.Metadata.Uid, after.Metadata.Uid);
        Assert.Equal(2, after.Metadata.Generation);
        Assert.Equal("hi", config.Data["greeting"]);
        Assert.Contains("Upgrade complete", history, StringComparison.Ordinal);
        // Helm 4 applies server-side by default, so its writes are Apply operations; helm 3 patches client-side.
        Assert.Equal(helmVersion == "4", after.Metadata.ManagedFields.Any(m => m.Operation == "Apply"));

        await helm.OkAsync("uninstall", "demo", "-n", ns);

        await Eventually.TrueAsync(async () =>
            (await cluster.Client.AppsV1.ListNamespacedDeploymentAsync(ns)).Items.Count == 0
            && (await cluster.Client.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: "owner=helm")).Items.Count == 0
            && (await cluster.Client.CoreV1.ListNamespacedServiceAsync(ns)).Items.Count == 0);
    }
}
