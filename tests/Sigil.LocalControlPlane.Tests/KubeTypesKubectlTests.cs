using System.Text.Json.Nodes;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests;

/// <summary>
/// Real kubectl on the built-in kinds it writes as protobuf (<c>kubectl create ...</c>) and on <c>kubectl explain</c>,
/// which reads the OpenAPI v3 schemas: both come from Kubernetes' own type definitions.
/// </summary>
public sealed class KubeTypesKubectlTests
{
    public static TheoryData<string> Versions => ["1.32", "1.34", "1.35"];

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Kubectl_create_deployment_sends_protobuf_and_the_deployment_reads_back_with_its_containers_and_replicas(string version)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();

        var created = await kubectl.OkAsync("create", "deployment", "web", "--image=nginx:1.27", "--replicas=2", "--port=8080", "-n", ns);
        var deployment = JsonNode.Parse(await kubectl.OkAsync("get", "deployment", "web", "-n", ns, "-o", "json"))!;

        Assert.Contains("deployment.apps/web created", created, StringComparison.Ordinal);
        Assert.Equal(2, (int)deployment["spec"]!["replicas"]!);
        Assert.Equal("web", (string?)deployment["spec"]!["selector"]!["matchLabels"]!["app"]);
        var container = deployment["spec"]!["template"]!["spec"]!["containers"]![0]!;
        Assert.Equal("nginx", (string?)container["name"]);
        Assert.Equal("nginx:1.27", (string?)container["image"]);
        Assert.Equal(8080, (int)container["ports"]![0]!["containerPort"]!);
        Assert.Equal("web", (string?)deployment["spec"]!["template"]!["metadata"]!["labels"]!["app"]);
        // A zero time on the wire is no time at all, and the zeros protobuf carries for plain Go fields are left out,
        // as in kube-apiserver's JSON.
        Assert.Null(deployment["spec"]!["template"]!["metadata"]!["creationTimestamp"]);
        Assert.False(deployment["spec"]!.AsObject().ContainsKey("paused"));
        Assert.False(container.AsObject().ContainsKey("stdin"));
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Kubectl_creates_services_roles_bindings_and_disruption_budgets_from_protobuf(string version)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var ns = await cluster.CreateNamespaceAsync();

        await kubectl.OkAsync("create", "service", "clusterip", "api", "--tcp=80:8080", "-n", ns);
        await kubectl.OkAsync("create", "role", "reader", "--verb=get,list", "--resource=pods,secrets", "-n", ns);
        await kubectl.OkAsync("create", "rolebinding", "reader", "--role=reader", "--serviceaccount", $"{ns}:default", "-n", ns);
        await kubectl.OkAsync("create", "poddisruptionbudget", "api", "--selector=app=api", "--min-available=50%", "-n", ns);
        var service = JsonNode.Parse(await kubectl.OkAsync("get", "service", "api", "-n", ns, "-o", "json"))!;
        var role = JsonNode.Parse(await kubectl.OkAsync("get", "role", "reader", "-n", ns, "-o", "json"))!;
        var binding = JsonNode.Parse(await kubectl.OkAsync("get", "rolebinding", "reader", "-n", ns, "-o", "json"))!;
        var pdb = JsonNode.Parse(await kubectl.OkAsync("get", "pdb", "api", "-n", ns, "-o", "json"))!;

        var port = service["spec"]!["ports"]![0]!;
        Assert.Equal(80, (int)port["port"]!);
        Assert.Equal(8080, (int)port["targetPort"]!);
        Assert.Equal("TCP", (string?)port["protocol"]);
        Assert.Equal("ClusterIP", (string?)service["spec"]!["type"]);
        Assert.Equal(["get", "list"], role["rules"]![0]!["verbs"]!.AsArray().Select(v => (string?)v));
        Assert.Equal(["pods", "secrets"], role["rules"]![0]!["resources"]!.AsArray().Select(v => (string?)v));
        Assert.Equal("reader", (string?)binding["roleRef"]!["name"]);
        Assert.Equal("ServiceAccount", (string?)binding["subjects"]![0]!["kind"]);
        Assert.Equal(ns, (string?)binding["subjects"]![0]!["namespace"]);
        // An IntOrString that holds a string stays a string.
        Assert.Equal("50%", (string?)pdb["spec"]!["minAvailable"]);
        Assert.Equal("api", (string?)pdb["spec"]!["selector"]!["matchLabels"]!["app"]);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Kubectl_explain_prints_the_upstream_description_of_a_built_in_field(string version)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        using var kubectl = await Kubectl.ForAsync(version, cluster);

        var containers = await kubectl.OkAsync("explain", "deployment.spec.template.spec.containers");
        var deployment = await kubectl.OkAsync("explain", "deployment");

        Assert.Contains("List of containers belonging to the pod.", containers, StringComparison.Ordinal);
        Assert.Matches(@"image\s+<string>", containers);
        Assert.Matches(@"name\s+<string>", containers);
        Assert.Contains("Deployment enables declarative updates for Pods and ReplicaSets.", deployment, StringComparison.Ordinal);
        Assert.Contains("apps", deployment, StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Kubectl_explain_describes_a_CRD_schema_with_its_JSON_Schema_names(string version)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        using var kubectl = await Kubectl.ForAsync(version, cluster);

        var schema = await kubectl.OkAsync("explain", "crd.spec.versions.schema.openAPIV3Schema");

        Assert.Contains("openAPIV3Schema is the OpenAPI v3 schema to use for validation and pruning.", Flatten(schema), StringComparison.Ordinal);
        Assert.Matches(@"x-kubernetes-preserve-unknown-fields\s+<boolean>", schema);
        Assert.Matches(@"\$ref\s+<string>", schema);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Kubectl_explain_recursive_walks_every_field_of_pods(string version)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        using var kubectl = await Kubectl.ForAsync(version, cluster);

        var pods = await kubectl.OkAsync("explain", "pods", "--recursive");

        Assert.Contains("Pod is a collection of containers that can run on a host.", pods, StringComparison.Ordinal);
        Assert.Matches(@"containers\s+<\[\]Container> -required-", pods);
        Assert.Matches(@"creationTimestamp\s+<string>", pods);
        Assert.Matches(@"livenessProbe\s+<Probe>", pods);
        Assert.Matches(@"port\s+<IntOrString>", pods);
        // Fields of structs Go embeds inline are the parent's, as upstream publishes them.
        Assert.Matches(@"livenessProbe\s+<Probe>\s+exec\s+<ExecAction>", pods);
        Assert.Matches(@"configMap\s+<ConfigMapVolumeSource>", pods);
        Assert.DoesNotMatch(@"\bhandler\s+<ProbeHandler>", pods);
    }

    [Theory]
    [MemberData(nameof(Versions))]
    public async Task Kubectl_explain_prints_the_CRD_description_of_a_ServiceIdentity_field_and_sees_a_changed_CRD(string version)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        using var kubectl = await Kubectl.ForAsync(version, cluster);
        var crdPath = Path.Combine(Repository.Root, "crds", "sigil.dev_serviceidentities.yaml");
        await kubectl.OkAsync("apply", "-f", crdPath);
        await kubectl.OkAsync("wait", "--for=condition=Established", "crd/serviceidentities.sigil.dev", "--timeout=30s");
        var expected = ExpectedDescription(await File.ReadAllTextAsync(crdPath));

        // Right after a CRD is established kubectl may still map "sid" from the discovery it had; it retries itself.
        var x509 = await ExplainAsync(kubectl, "sid.spec.x509");
        var indexBefore = await kubectl.OkAsync("get", "--raw", "/openapi/v3");
        await kubectl.OkAsync("patch", "crd", "serviceidentities.sigil.dev", "--type=json", "-p",
            """[{"op":"replace","path":"/spec/versions/0/schema/openAPIV3Schema/properties/spec/properties/x509/description","value":"Changed by the test."}]""");
        var indexAfter = await kubectl.OkAsync("get", "--raw", "/openapi/v3");
        var changed = await kubectl.OkAsync("explain", "sid.spec.x509");

        Assert.Contains("ServiceIdentity", x509, StringComparison.Ordinal);
        Assert.Contains(expected, Flatten(x509), StringComparison.Ordinal);
        Assert.Equal(Url(indexBefore, "api/v1"), Url(indexAfter, "api/v1"));
        Assert.NotEqual(Url(indexBefore, "apis/sigil.dev/v1alpha1"), Url(indexAfter, "apis/sigil.dev/v1alpha1"));
        Assert.Contains("Changed by the test.", changed, StringComparison.Ordinal);
    }

    private static string? Url(string index, string groupVersion) => (string?)JsonNode.Parse(index)!["paths"]![groupVersion]!["serverRelativeURL"];

    private static async Task<string> ExplainAsync(Kubectl kubectl, string field)
    {
        var output = "";
        await Eventually.TrueAsync(async () =>
        {
            var result = await kubectl.RunAsync("explain", field);
            output = result.Stdout;
            return result.ExitCode == 0;
        }, because: $"kubectl explain {field} keeps failing");
        return output;
    }

    // The first sentence of spec.x509's description in the CRD as shipped, on one line.
    private static string ExpectedDescription(string crdYaml)
    {
        var lines = crdYaml.Split('\n');
        var x509 = Array.FindIndex(lines, l => l.TrimStart() == "x509:");
        Assert.True(x509 > 0, "the CRD has no spec.x509");
        var description = lines.Skip(x509 + 1).Take(3).Select(l => l.Trim()).First(l => l.StartsWith("description:", StringComparison.Ordinal));
        var text = description["description:".Length..].Trim();
        var words = text.Split(' ', StringSplitOptions.RemoveEmptyEntries).Take(6);
        return string.Join(' ', words);
    }

    private static string Flatten(string text) => string.Join(' ', text.Split((char[])[' ', '\n', '\t'], StringSplitOptions.RemoveEmptyEntries));
}
