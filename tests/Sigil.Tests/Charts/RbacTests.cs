using System.Text.Json.Nodes;
using k8s;
using Sigil.Api;
using Sigil.LocalControlPlane.Http;
using Sigil.Operator;
using Sigil.Tests.Support;

namespace Sigil.Tests.Charts;

/// <summary>
/// The chart's RBAC, proven rather than guessed: install the chart on the local control plane, run the
/// operator's scenarios as the chart's ServiceAccount with the emulator enforcing RBAC (so any missing rule
/// fails the scenarios with 403), record every request, and check that the rendered ClusterRole and Role
/// allow every recorded request and grant nothing that was never used.
/// </summary>
public sealed class RbacTests
{
    private const string OperatorNamespace = "sigil-system";
    private const string OperatorUser = "system:serviceaccount:sigil-system:sigil";

    private sealed record Rule(string Scope, string Group, string Resource, string Verb, string? ResourceName);

    [Fact]
    public async Task The_rendered_rules_allow_every_request_the_operator_makes_and_nothing_it_does_not()
    {
        var requests = await RecordOperatorRequestsAsync();
        var rules = Rules(await ChartRendering.RenderAsync(OperatorNamespace));

        // Discovery (/apis, /apis/<group>/<version>) is open to every authenticated user through the built-in
        // system:discovery ClusterRole, so the chart needs no rule for it.
        var denied = requests.Where(r => !r.Resource.StartsWith('/') && !rules.Any(rule => Allows(rule, r))).Select(Describe).Distinct().ToList();
        var unused = rules.Where(rule => !requests.Any(r => Allows(rule, r))).Select(r => $"{r.Scope}: {r.Verb} {r.Group}/{r.Resource} {r.ResourceName}").ToList();

        Assert.True(denied.Count == 0, "requests the chart does not allow: " + string.Join("; ", denied));
        Assert.True(unused.Count == 0, "rules the operator never used: " + string.Join("; ", unused));
        Assert.DoesNotContain(rules, r => r.Verb == "*" || r.Resource == "*" || r.Group == "*");
    }

    /// <summary>Runs the scenarios the operator meets in a cluster, as the chart's ServiceAccount.</summary>
    private static async Task<List<RecordedRequest>> RecordOperatorRequestsAsync()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        using (var helm = await Helm.ForAsync("3", cluster))
        {
            await helm.OkAsync("install", "sigil", ChartRendering.ChartPath, "-n", OperatorNamespace, "--create-namespace");
        }
        var (client, _) = await local.AddUserAsync(OperatorUser);
        var logs = new CapturedLogs();
        var options = new OperatorOptions
        {
            Namespace = OperatorNamespace, LeaderElect = true, MetricsPort = 0, HealthPort = 0, BundlePropagation = TimeSpan.Zero,
            // A free port on loopback: 8443 may be another test's (or a developer's sigil local).
            IssuerPort = 0, IssuerAddress = System.Net.IPAddress.Loopback,
            // JWT keys that rotate within the scenario: each step is an update of sigil-jwt-keys.
            JwtKeyTtl = TimeSpan.FromSeconds(6),
            LeaseDuration = TimeSpan.FromSeconds(2), RenewDeadline = TimeSpan.FromSeconds(1.5), RetryPeriod = TimeSpan.FromMilliseconds(300),
        };
        using var stop = new CancellationTokenSource();
        var host = new OperatorHost(options, client, logs, TimeProvider.System);
        var running = host.RunAsync(stop.Token);
        var op = await OperatorUnderTest.StartAsync(cluster, options, start: false);
        await Eventually.TrueAsync(() => Task.FromResult(host.IsLeader), TimeSpan.FromSeconds(20));
        var ns = await cluster.CreateNamespaceAsync();

        await op.CreateAsync(ns, OperatorUnderTest.Identity("issued"));
        await op.WaitForAsync(ns, "issued", Reasons.Issued);
        await op.PatchAsync(ns, "issued", """{"metadata":{"annotations":{"sigil.dev/rotate":"rbac"}}}""");
        await op.WaitForAsync(ns, "issued", Reasons.Issued, i => i.Status!.LastRotationRequest == "rbac");
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new k8s.Models.V1Secret { Metadata = new() { Name = "foreign-svid" } }, ns);
        await op.CreateAsync(ns, OperatorUnderTest.Identity("foreign"));
        await op.WaitForAsync(ns, "foreign", Reasons.SecretConflict);
        var foreignBundle = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new k8s.Models.V1ConfigMap { Metadata = new() { Name = "sigil-trust-bundle" } }, foreignBundle);
        await op.CreateAsync(foreignBundle, OperatorUnderTest.Identity("beside-a-foreign-bundle"));
        await op.WaitForAsync(foreignBundle, "beside-a-foreign-bundle", Reasons.Issued);
        await op.CreateAsync(ns, OperatorUnderTest.Identity("invalid", new X509Spec { Ttl = "1h", RenewBefore = "0s" }));
        await op.WaitForAsync(ns, "invalid", Reasons.InvalidSpec);
        foreach (var workload in new[] { "Deployment", "StatefulSet", "DaemonSet" })
        {
            await CreateWorkloadAsync(cluster.Client, workload, ns);
        }
        await op.CreateAsync(ns, OperatorUnderTest.Receiver("orders", "payments"));
        var caller = OperatorUnderTest.Caller("payments", "orders", type: "HMACSHA256");
        caller.Spec.RestartOnRotation = [new WorkloadReference { Kind = "Deployment", Name = "w" }, new WorkloadReference { Kind = "StatefulSet", Name = "w" },
            new WorkloadReference { Kind = "DaemonSet", Name = "w" }];
        await op.CreateAsync(ns, caller);
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.ApiKeys is { Count: 1 });
        await Eventually.TrueAsync(async () => (await cluster.Client.AppsV1.ReadNamespacedDaemonSetAsync("w", ns)).Spec.Template.Metadata?.Annotations?.ContainsKey(Labels.RestartedAtAnnotation) == true,
            TimeSpan.FromSeconds(20));
        await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("sigil-trust-bundle", ns);
        // Wait for the bundle itself: counting creates is not enough, since a create may have met a 409 before the delete.
        k8s.Models.V1ConfigMap? bundle = null;
        await Eventually.TrueAsync(async () => (bundle = (await cluster.Client.CoreV1.ListNamespacedConfigMapAsync(ns,
            fieldSelector: "metadata.name=sigil-trust-bundle")).Items.SingleOrDefault()) is not null, TimeSpan.FromSeconds(20), "the trust bundle never came back");
        bundle!.Data["ca.crt"] = "tampered";
        await cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(bundle, "sigil-trust-bundle", ns);
        await Eventually.TrueAsync(() => Task.FromResult(local.Requests.All.Any(r => r.User == OperatorUser && r.Verb == "update" && r.Resource == "configmaps")));
        // A manual CA rotation: the next CA is stored (update sigil-ca) and put into every SVID Secret's ca.crt (patch).
        await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new k8s.Models.V1Patch("""{"metadata":{"annotations":{"sigil.dev/rotate":"rbac"}}}""",
            k8s.Models.V1Patch.PatchType.MergePatch), "sigil-ca", OperatorNamespace);
        await Eventually.TrueAsync(() => Task.FromResult(local.Requests.All.Any(r => r.User == OperatorUser && r.Verb == "patch" && r.Resource == "secrets")
            && local.Requests.All.Any(r => r.User == OperatorUser && r.Verb == "update" && r.Resource == "secrets" && r.Name == "sigil-ca")),
            TimeSpan.FromSeconds(20), "the CA rotation never wrote");
        // The JWT keys: created on the first start (create), then rotated (update sigil-jwt-keys).
        await Eventually.TrueAsync(() => Task.FromResult(local.Requests.All.Any(r => r.User == OperatorUser && r.Verb == "update" && r.Resource == "secrets" && r.Name == "sigil-jwt-keys")),
            TimeSpan.FromSeconds(30), "the JWT keys never rotated");

        await stop.CancelAsync();
        await running;
        client.Dispose();
        Assert.DoesNotContain(logs.Lines, l => l.Contains("Forbidden", StringComparison.Ordinal));
        return local.Requests.All.Where(r => r.User == OperatorUser).ToList();
    }

    [Fact]
    public async Task The_local_control_plane_holds_a_ServiceAccount_to_its_bindings()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        var ns = await cluster.CreateNamespaceAsync();
        var other = await cluster.CreateNamespaceAsync();
        await cluster.Client.RbacAuthorizationV1.CreateNamespacedRoleAsync(new k8s.Models.V1Role
        {
            Metadata = new() { Name = "read-secrets" },
            Rules = [new k8s.Models.V1PolicyRule { ApiGroups = [""], Resources = ["secrets"], Verbs = ["list"] }],
        }, ns);
        await cluster.Client.RbacAuthorizationV1.CreateNamespacedRoleBindingAsync(new k8s.Models.V1RoleBinding
        {
            Metadata = new() { Name = "reader" },
            RoleRef = new k8s.Models.V1RoleRef { ApiGroup = "rbac.authorization.k8s.io", Kind = "Role", Name = "read-secrets" },
            Subjects = [new k8s.Models.Rbacv1Subject { Kind = "ServiceAccount", Name = "reader", NamespaceProperty = ns }],
        }, ns);
        var (reader, _) = await local.AddUserAsync($"system:serviceaccount:{ns}:reader");

        await reader.CoreV1.ListNamespacedSecretAsync(ns);
        var (otherNamespace, status) = await ApiErrors.CatchAsync(() => reader.CoreV1.ListNamespacedSecretAsync(other));
        var (otherVerb, _) = await ApiErrors.CatchAsync(() => reader.CoreV1.CreateNamespacedSecretAsync(new k8s.Models.V1Secret { Metadata = new() { Name = "x" } }, ns));
        reader.Dispose();

        Assert.Equal(System.Net.HttpStatusCode.Forbidden, otherNamespace);
        Assert.Equal("Forbidden", (string?)status["reason"]);
        Assert.Contains($"cannot list resource \"secrets\" in API group \"\" in the namespace \"{other}\"", (string?)status["message"], StringComparison.Ordinal);
        Assert.Equal(System.Net.HttpStatusCode.Forbidden, otherVerb);
    }

    private static async Task CreateWorkloadAsync(IKubernetes client, string kind, string ns)
    {
        var template = Deployments.New("w").Spec.Template;
        var selector = new k8s.Models.V1LabelSelector { MatchLabels = new Dictionary<string, string> { ["app"] = "w" } };
        switch (kind)
        {
            case "Deployment":
                await client.AppsV1.CreateNamespacedDeploymentAsync(Deployments.New("w"), ns);
                break;
            case "StatefulSet":
                await client.AppsV1.CreateNamespacedStatefulSetAsync(new k8s.Models.V1StatefulSet
                {
                    Metadata = new() { Name = "w" }, Spec = new k8s.Models.V1StatefulSetSpec { Selector = selector, Template = template, ServiceName = "w" },
                }, ns);
                break;
            default:
                await client.AppsV1.CreateNamespacedDaemonSetAsync(new k8s.Models.V1DaemonSet
                {
                    Metadata = new() { Name = "w" }, Spec = new k8s.Models.V1DaemonSetSpec { Selector = selector, Template = template },
                }, ns);
                break;
        }
    }

    private static List<Rule> Rules(List<JsonObject> documents)
    {
        var rules = new List<Rule>();
        foreach (var role in documents.Where(d => (string?)d["kind"] is "ClusterRole" or "Role"))
        {
            var scope = (string?)role["kind"] == "ClusterRole" ? "*" : (string)role["metadata"]!["namespace"]!;
            foreach (var rule in role["rules"]!.AsArray())
            {
                var names = rule!["resourceNames"]?.AsArray().Select(n => (string?)n).ToList() ?? [null];
                foreach (var group in rule["apiGroups"]!.AsArray())
                foreach (var resource in rule["resources"]!.AsArray())
                foreach (var verb in rule["verbs"]!.AsArray())
                foreach (var name in names)
                {
                    rules.Add(new Rule(scope, (string)group!, (string)resource!, (string)verb!, name));
                }
            }
        }
        return rules;
    }

    private static bool Allows(Rule rule, RecordedRequest request)
    {
        var resource = request.Subresource is null ? request.Resource : $"{request.Resource}/{request.Subresource}";
        return rule.Group == request.Group
            && rule.Resource == resource
            && rule.Verb == request.Verb
            && (rule.Scope == "*" || rule.Scope == request.Namespace)
            && (rule.ResourceName is null || rule.ResourceName == request.Name);
    }

    private static string Describe(RecordedRequest r) =>
        $"{r.Verb} {r.Group}/{r.Resource}{(r.Subresource is null ? "" : "/" + r.Subresource)} in {r.Namespace ?? "(cluster)"}{(r.Name is null ? "" : " name " + r.Name)}";
}
