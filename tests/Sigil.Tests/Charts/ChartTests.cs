using System.Text.Json.Nodes;
using k8s;
using Sigil.Tests.Support;

namespace Sigil.Tests.Charts;

/// <summary>charts/sigil: lint with helm 3 and 4, what it renders, what its schema rejects, and its life in a cluster.</summary>
public sealed class ChartTests
{
    // Rendered YAML is read without a schema, so scalars arrive as strings.
    private static int Int(JsonNode node) => int.Parse(node.ToString(), System.Globalization.CultureInfo.InvariantCulture);

    private static bool Bool(JsonNode node) => bool.Parse(node.ToString());

    private static JsonObject Service(List<JsonObject> documents, string name) =>
        documents.Single(d => (string?)d["kind"] == "Service" && (string?)d["metadata"]!["name"] == name);

    [Fact]
    public void The_chart_installs_the_same_CRD_as_crds()
    {
        var top = File.ReadAllText(Path.Combine(Repository.Root, "crds", "sigil.dev_serviceidentities.yaml"));
        var chart = File.ReadAllText(Path.Combine(ChartRendering.ChartPath, "crds", "sigil.dev_serviceidentities.yaml"));

        Assert.Equal(top, chart);
    }

    [Theory]
    [InlineData("3")]
    [InlineData("4")]
    public async Task Helm_lint_passes(string version)
    {
        var binary = version == "3" ? await ToolCache.Helm3Async() : await ToolCache.Helm4Async();
        using var helm = new Helm(binary, "/dev/null");

        var output = await helm.OkAsync("lint", ChartRendering.ChartPath, "--strict");

        Assert.Contains("1 chart(s) linted, 0 chart(s) failed", output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_deployment_runs_two_leader_electing_replicas_locked_down()
    {
        var documents = await ChartRendering.RenderAsync();
        var deployment = documents.Single("Deployment");
        var pod = deployment["spec"]!["template"]!["spec"]!;
        var container = pod["containers"]![0]!;
        var args = container["args"]!.AsArray().Select(a => (string?)a).ToList();

        Assert.Equal(2, Int(deployment["spec"]!["replicas"]!));
        Assert.Contains("--leader-elect", args);
        Assert.Contains("--trust-domain=cluster.local", args);
        Assert.True(Bool(pod["securityContext"]!["runAsNonRoot"]!));
        Assert.True(Int(pod["securityContext"]!["runAsUser"]!) > 0);
        Assert.Equal("RuntimeDefault", (string?)pod["securityContext"]!["seccompProfile"]!["type"]);
        Assert.True(Bool(container["securityContext"]!["readOnlyRootFilesystem"]!));
        Assert.False(Bool(container["securityContext"]!["allowPrivilegeEscalation"]!));
        Assert.Equal(["ALL"], container["securityContext"]!["capabilities"]!["drop"]!.AsArray().Select(c => (string?)c));
        Assert.Equal("/healthz", (string?)container["livenessProbe"]!["httpGet"]!["path"]);
        Assert.Equal("/readyz", (string?)container["readinessProbe"]!["httpGet"]!["path"]);
        Assert.NotNull(container["resources"]!["requests"]);
        Assert.Equal(1, Int(documents.Single("PodDisruptionBudget")["spec"]!["minAvailable"]!));
        Assert.Equal(8080, Int(Service(documents, "sigil-metrics")["spec"]!["ports"]![0]!["port"]!));
        Assert.DoesNotContain(documents, d => (string?)d["kind"] == "ServiceMonitor");
    }

    [Fact]
    public async Task Values_named_in_the_product_change_what_is_rendered()
    {
        var documents = await ChartRendering.RenderAsync("platform", "replicaCount=3", "image.repository=registry.example/sigil", "image.tag=1.2.3",
            "trustDomain=example.org", "caSecret=corp-ca", "logFormat=text", "metrics.serviceMonitor.enabled=true", "caTTL=2160h", "bundlePropagation=5m");
        var deployment = documents.Single("Deployment");
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var args = container["args"]!.AsArray().Select(a => (string?)a).ToList();
        var role = documents.Single("Role");

        Assert.Equal(3, Int(deployment["spec"]!["replicas"]!));
        Assert.Equal("registry.example/sigil:1.2.3", (string?)container["image"]);
        Assert.Contains("--trust-domain=example.org", args);
        Assert.Contains("--ca-secret=corp-ca", args);
        Assert.Contains("--log-format=text", args);
        Assert.Contains("--ca-ttl=2160h", args);
        Assert.Contains("--bundle-propagation=5m", args);
        Assert.Contains(role["rules"]!.AsArray(), r => r!["resourceNames"]?[0]?.ToString() == "corp-ca");
        // Sigil never writes into a CA Secret it did not create; what it remembers about it goes into sigil-ca-trust.
        Assert.DoesNotContain(role["rules"]!.AsArray(), r => r!["resourceNames"]?[0]?.ToString() == "corp-ca" && r["verbs"]!.AsArray().Any(v => (string?)v != "get"));
        Assert.Contains(role["rules"]!.AsArray(), r => r!["resourceNames"]?[0]?.ToString() == "sigil-ca-trust");
        Assert.Equal("metrics", (string?)documents.Single("ServiceMonitor")["spec"]!["endpoints"]![0]!["port"]);
        // The identity's namespace label must survive the scrape (else it becomes exported_namespace).
        Assert.True(Bool(documents.Single("ServiceMonitor")["spec"]!["endpoints"]![0]!["honorLabels"]!));
    }

    [Fact]
    public async Task By_default_every_replica_serves_the_issuer_on_Service_sigil_whose_name_is_the_default_issuer_URLs_host()
    {
        var documents = await ChartRendering.RenderAsync("platform");
        var container = documents.Single("Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var args = container["args"]!.AsArray().Select(a => (string?)a).ToList();
        var port = container["ports"]!.AsArray().Single(p => (string?)p!["name"] == "issuer")!;
        var service = Service(documents, "sigil");
        var servicePort = service["spec"]!["ports"]!.AsArray().Single()!;

        Assert.Contains("--issuer-port=8443", args);
        // No --issuer-url: the operator's default, https://sigil.<namespace>.svc:8443, names this Service.
        Assert.DoesNotContain(args, a => a!.StartsWith("--issuer-url", StringComparison.Ordinal));
        Assert.Equal(Sigil.Issuer.ServingNames.ServiceName, (string?)service["metadata"]!["name"]);
        Assert.Equal("https://sigil.platform.svc:8443", new Sigil.Operator.OperatorOptions { Namespace = "platform", IssuerPort = 8443 }.EffectiveIssuerUrl());
        Assert.Contains("sigil.platform.svc", Sigil.Issuer.ServingNames.For("cluster.local", "platform", "cluster.local", "https://sigil.platform.svc:8443").DnsNames);
        Assert.Equal(8443, Int(port["containerPort"]!));
        Assert.Equal(("issuer", 8443, "issuer"), ((string?)servicePort["name"], Int(servicePort["port"]!), (string?)servicePort["targetPort"]));
        Assert.Equal(documents.Single("Deployment")["spec"]!["selector"]!["matchLabels"]!.ToJsonString(), service["spec"]!["selector"]!.ToJsonString());
        // Readiness stays what it was: caches synced and the CA loaded (the issuer listens before that is reported).
        Assert.Equal("health", (string?)container["readinessProbe"]!["httpGet"]!["port"]);
    }

    [Fact]
    public async Task Issuer_values_set_the_issuer_URL_and_move_the_port_everywhere()
    {
        var documents = await ChartRendering.RenderAsync("platform", "issuer.url=https://sigil.example.com", "issuer.port=9443");
        var container = documents.Single("Deployment")["spec"]!["template"]!["spec"]!["containers"]![0]!;
        var args = container["args"]!.AsArray().Select(a => (string?)a).ToList();
        var servicePort = Service(documents, "sigil")["spec"]!["ports"]!.AsArray().Single()!;

        Assert.Contains("--issuer-url=https://sigil.example.com", args);
        Assert.Contains("--issuer-port=9443", args);
        Assert.Equal(9443, Int(container["ports"]!.AsArray().Single(p => (string?)p!["name"] == "issuer")!["containerPort"]!));
        Assert.Equal(9443, Int(servicePort["port"]!));
    }

    [Theory]
    [InlineData("issuer.url=http://sigil.example.com")]
    [InlineData("issuer.url=https://sigil.example.com?tenant=a")]
    [InlineData("issuer.port=0")]
    [InlineData("issuer.unknown=1")]
    [InlineData("replicaCount=two")]
    [InlineData("logFormat=yaml")]
    [InlineData("metrics.serviceMonitor.enabled=maybe")]
    [InlineData("metrics.prometheusRule.enabled=maybe")]
    [InlineData("metrics.prometheusRule.runbookBaseURL=https://example.com/runbooks.md#already-an-anchor")]
    [InlineData("metrics.prometheusRule.unknown=1")]
    [InlineData("metrics.dashboard.enabled=maybe")]
    [InlineData("metrics.dashboard.unknown=1")]
    [InlineData("trustDomain=Not A Domain")]
    [InlineData("unknownValue=1")]
    [InlineData("caTTL=one year")]
    public async Task The_values_schema_rejects_wrong_types_and_unknown_values(string set)
    {
        using var helm = new Helm(await ToolCache.Helm3Async(), "/dev/null");

        var result = await helm.RunAsync("template", "sigil", ChartRendering.ChartPath, "--set", set);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Contains("values don't meet the specifications of the schema", result.Output, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Helm_installs_upgrades_and_uninstalls_Sigil_on_the_local_control_plane()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        using var helm = await Helm.ForAsync("3", cluster);

        var notes = await helm.OkAsync("install", "sigil", ChartRendering.ChartPath, "-n", "sigil-system", "--create-namespace");
        var crd = await cluster.Client.ApiextensionsV1.ReadCustomResourceDefinitionAsync("serviceidentities.sigil.dev");
        var deployment = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("sigil", "sigil-system");
        await cluster.Client.RbacAuthorizationV1.ReadClusterRoleAsync("sigil-sigil-system");
        await cluster.Client.RbacAuthorizationV1.ReadNamespacedRoleAsync("sigil", "sigil-system");
        await cluster.Client.RbacAuthorizationV1.ReadNamespacedRoleBindingAsync("sigil", "sigil-system");
        await cluster.Client.CoreV1.ReadNamespacedServiceAsync("sigil-metrics", "sigil-system");
        await cluster.Client.CoreV1.ReadNamespacedServiceAsync("sigil", "sigil-system");
        await cluster.Client.CoreV1.ReadNamespacedServiceAccountAsync("sigil", "sigil-system");
        await helm.OkAsync("upgrade", "sigil", ChartRendering.ChartPath, "-n", "sigil-system", "--set", "replicaCount=3", "--set", "logFormat=text");
        var upgraded = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("sigil", "sigil-system");
        await helm.OkAsync("uninstall", "sigil", "-n", "sigil-system");

        Assert.Contains("kubectl get sid -A -w", notes, StringComparison.Ordinal);
        Assert.Equal("ServiceIdentity", crd.Spec.Names.Kind);
        Assert.Equal(2, deployment.Spec.Replicas);
        Assert.Equal(3, upgraded.Spec.Replicas);
        Assert.Contains("--log-format=text", upgraded.Spec.Template.Spec.Containers[0].Args);
        Assert.Equal(deployment.Metadata.Uid, upgraded.Metadata.Uid);
        await Eventually.TrueAsync(async () => (await cluster.Client.AppsV1.ListNamespacedDeploymentAsync("sigil-system")).Items.Count == 0);
        Assert.DoesNotContain((await cluster.Client.RbacAuthorizationV1.ListClusterRoleAsync()).Items, r => r.Metadata.Name.StartsWith("sigil", StringComparison.Ordinal));
    }
}
