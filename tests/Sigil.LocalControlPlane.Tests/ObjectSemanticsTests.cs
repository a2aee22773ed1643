using System.Net;
using System.Text;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests;

/// <summary>kube-apiserver object semantics, through KubernetesClient, on every configured cluster kind.</summary>
public sealed class ObjectSemanticsTests
{
    public static TheoryData<ClusterKind> Kinds => TestCluster.Kinds;

    private static V1Secret Secret(string name, IDictionary<string, string>? labels = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, Labels = labels },
        StringData = new Dictionary<string, string> { ["k"] = "v" },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Created_objects_get_a_uid_a_creation_time_and_a_cluster_wide_increasing_resource_version(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();

        var first = await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("a"), ns);
        var second = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "b" } }, ns);

        Assert.True(Guid.TryParse(first.Metadata.Uid, out _));
        Assert.NotNull(first.Metadata.CreationTimestamp);
        Assert.True(long.Parse(second.Metadata.ResourceVersion) > long.Parse(first.Metadata.ResourceVersion));
        Assert.Equal("Opaque", first.Type);
        Assert.Equal("v", Encoding.UTF8.GetString(first.Data["k"]));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task GenerateName_makes_a_unique_name_with_the_prefix(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();

        var made = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { GenerateName = "gen-" } }, ns);
        var again = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { GenerateName = "gen-" } }, ns);

        Assert.StartsWith("gen-", made.Metadata.Name, StringComparison.Ordinal);
        Assert.Equal("gen-".Length + 5, made.Metadata.Name.Length);
        Assert.NotEqual(made.Metadata.Name, again.Metadata.Name);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Creating_in_a_missing_namespace_is_NotFound(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);

        var (code, status) = await ApiErrors.CatchAsync(() => cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("a"), "no-such-namespace-x1"));

        Assert.Equal(HttpStatusCode.NotFound, code);
        Assert.Equal("Status", (string?)status["kind"]);
        Assert.Equal("NotFound", (string?)status["reason"]);
        Assert.Contains("no-such-namespace-x1", (string?)status["message"], StringComparison.Ordinal);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Creating_an_existing_name_is_AlreadyExists_and_getting_a_missing_one_is_NotFound(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("dup"), ns);

        var (conflict, exists) = await ApiErrors.CatchAsync(() => cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("dup"), ns));
        var (missing, notFound) = await ApiErrors.CatchAsync(() => cluster.Client.CoreV1.ReadNamespacedSecretAsync("nope", ns));

        Assert.Equal(HttpStatusCode.Conflict, conflict);
        Assert.Equal("AlreadyExists", (string?)exists["reason"]);
        Assert.Equal(HttpStatusCode.NotFound, missing);
        Assert.Equal("secrets \"nope\" not found", (string?)notFound["message"]);
        Assert.Equal(404, (int?)notFound["code"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_update_with_a_stale_resource_version_is_a_Conflict_and_changes_nothing(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var original = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "c" }, Data = new Dictionary<string, string> { ["a"] = "1" } }, ns);
        var fresh = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("c", ns);
        fresh.Data["a"] = "2";
        await cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(fresh, "c", ns);

        original.Data["a"] = "stale";
        var (code, status) = await ApiErrors.CatchAsync(() => cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(original, "c", ns));

        Assert.Equal(HttpStatusCode.Conflict, code);
        Assert.Equal("Conflict", (string?)status["reason"]);
        Assert.Equal("2", (await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("c", ns)).Data["a"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_invalid_name_is_rejected_as_Invalid_with_the_field_named(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();

        var (code, status) = await ApiErrors.CatchAsync(() => cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("Not_Valid"), ns));

        Assert.Equal((HttpStatusCode)422, code);
        Assert.Equal("Invalid", (string?)status["reason"]);
        Assert.Equal("metadata.name", (string?)status["details"]!["causes"]![0]!["field"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Generation_moves_with_spec_changes_only(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);
        await widgets.CreateAsync(ns, "g");

        async Task<long> Patch(string? subresource, string patch)
        {
            var (status, body) = await cluster.Api.SendAsync(HttpMethod.Patch, widgets.Path(ns, "g", subresource), JsonNode.Parse(patch), "application/merge-patch+json");
            Assert.True(status == HttpStatusCode.OK, body.ToJsonString());
            return (long)body["metadata"]!["generation"]!;
        }

        Assert.Equal(1, await Patch(null, """{"metadata":{"labels":{"x":"y"}}}"""));
        Assert.Equal(1, await Patch("status", """{"status":{"phase":"Ready"}}"""));
        Assert.Equal(2, await Patch(null, """{"spec":{"size":4}}"""));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task The_main_resource_ignores_status_and_the_status_subresource_ignores_everything_else(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var widgets = await Widgets.InstallAsync(cluster);
        var created = await widgets.CreateAsync(ns, "s");

        created["status"] = new JsonObject { ["phase"] = "FromMain" };
        created["spec"]!["size"] = 5;
        var (_, afterMain) = await cluster.Api.SendAsync(HttpMethod.Put, widgets.Path(ns, "s"), created);
        afterMain["status"] = new JsonObject { ["phase"] = "FromStatus" };
        afterMain["spec"]!["size"] = 9;
        afterMain["metadata"]!["labels"] = new JsonObject { ["ignored"] = "yes" };
        var (_, afterStatus) = await cluster.Api.SendAsync(HttpMethod.Put, widgets.Path(ns, "s", "status"), afterMain);

        Assert.NotEqual("FromMain", (string?)afterMain["status"]?["phase"]);
        Assert.Equal(5, (int)afterStatus["spec"]!["size"]!);
        Assert.Equal("FromStatus", (string?)afterStatus["status"]!["phase"]);
        Assert.Null(afterStatus["metadata"]!["labels"]?["ignored"]);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_delete_waits_for_finalizers_and_completes_when_the_last_is_removed(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "f", Finalizers = ["sigil.dev/test"] } }, ns);

        await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("f", ns);
        var terminating = await cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("f", ns);
        terminating.Metadata.Finalizers = [];
        await cluster.Client.CoreV1.ReplaceNamespacedConfigMapAsync(terminating, "f", ns);

        Assert.NotNull(terminating.Metadata.DeletionTimestamp);
        var (code, _) = await ApiErrors.CatchAsync(() => cluster.Client.CoreV1.ReadNamespacedConfigMapAsync("f", ns));
        Assert.Equal(HttpStatusCode.NotFound, code);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Deleting_an_owner_deletes_its_dependents_unless_they_are_orphaned(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var owner = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "owner" } }, ns);
        var orphanOwner = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "owner2" } }, ns);
        V1OwnerReference Ref(V1ConfigMap o) => new() { ApiVersion = "v1", Kind = "ConfigMap", Name = o.Metadata.Name, Uid = o.Metadata.Uid };
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new() { Name = "child", OwnerReferences = [Ref(owner)] } }, ns);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new() { Name = "kept", OwnerReferences = [Ref(orphanOwner)] } }, ns);

        await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("owner", ns, propagationPolicy: "Background");
        await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("owner2", ns, propagationPolicy: "Orphan");

        await Eventually.TrueAsync(async () => (await cluster.Client.CoreV1.ListNamespacedSecretAsync(ns)).Items.All(s => s.Metadata.Name != "child"));
        var kept = await cluster.Client.CoreV1.ReadNamespacedSecretAsync("kept", ns);
        Assert.Empty(kept.Metadata.OwnerReferences ?? []);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task An_object_created_for_an_owner_that_is_gone_is_collected(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var owner = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "owner" } }, ns);
        await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("owner", ns);

        // What a controller does when it writes for an owner deleted a moment before: the API accepts it, the collector removes it.
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret
        {
            Metadata = new() { Name = "late", OwnerReferences = [new() { ApiVersion = "v1", Kind = "ConfigMap", Name = "owner", Uid = owner.Metadata.Uid }] },
        }, ns);

        await Eventually.TrueAsync(async () => (await cluster.Client.CoreV1.ListNamespacedSecretAsync(ns)).Items.All(s => s.Metadata.Name != "late"),
            TimeSpan.FromSeconds(60), "the dependent of a deleted owner was never collected");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Deleting_a_namespace_deletes_what_is_in_it(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("inside"), ns);

        await cluster.Client.CoreV1.DeleteNamespaceAsync(ns);

        await Eventually.TrueAsync(async () => (await cluster.Client.CoreV1.ListNamespaceAsync()).Items.All(n => n.Metadata.Name != ns), TimeSpan.FromMinutes(2));
        Assert.DoesNotContain((await cluster.Client.CoreV1.ListSecretForAllNamespacesAsync()).Items, s => s.Metadata.NamespaceProperty == ns);
    }

    public static TheoryData<string, string, string[]> LabelSelections => new()
    {
        { "equality picks the matching value", "tier=web", ["a"] },
        { "double equals is equality", "tier==db", ["b"] },
        { "inequality includes objects without the label", "tier!=web", ["b", "c"] },
        { "in picks any listed value", "tier in (web,db)", ["a", "b"] },
        { "notin excludes listed values and keeps unlabelled objects", "tier notin (web)", ["b", "c"] },
        { "a bare key means the label exists", "tier", ["a", "b"] },
        { "a bang means the label does not exist", "!tier", ["c"] },
        { "terms are ANDed", "tier,env=prod", ["a"] },
    };

    [Theory]
    [MemberData(nameof(LabelSelections))]
    public async Task Label_selectors_filter_lists(string because, string selector, string[] expected)
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("a", new Dictionary<string, string> { ["tier"] = "web", ["env"] = "prod" }), ns);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("b", new Dictionary<string, string> { ["tier"] = "db" }), ns);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("c"), ns);

        var names = (await cluster.Client.CoreV1.ListNamespacedSecretAsync(ns, labelSelector: selector)).Items.Select(s => s.Metadata.Name);

        Assert.True(expected.SequenceEqual(names), $"{because}: got {string.Join(",", names)}");
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Field_selectors_filter_by_name_and_namespace(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        var other = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("one"), ns);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("two"), ns);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(Secret("one"), other);

        var byName = await cluster.Client.CoreV1.ListNamespacedSecretAsync(ns, fieldSelector: "metadata.name=one");
        var byNamespace = await cluster.Client.CoreV1.ListSecretForAllNamespacesAsync(fieldSelector: $"metadata.namespace={other}");
        var notOne = await cluster.Client.CoreV1.ListNamespacedSecretAsync(ns, fieldSelector: "metadata.name!=one");

        Assert.Equal(["one"], byName.Items.Select(s => s.Metadata.Name));
        Assert.Equal([other], byNamespace.Items.Select(s => s.Metadata.NamespaceProperty));
        Assert.Equal(["two"], notOne.Items.Select(s => s.Metadata.Name));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Lists_page_with_limit_and_continue_and_every_object_appears_once(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        for (var i = 0; i < 7; i++)
        {
            await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = $"cm-{i}" } }, ns);
        }

        var seen = new List<string>();
        string? token = null;
        var pages = 0;
        do
        {
            var page = await cluster.Client.CoreV1.ListNamespacedConfigMapAsync(ns, limit: 3, continueParameter: token);
            seen.AddRange(page.Items.Select(c => c.Metadata.Name).Where(n => n.StartsWith("cm-", StringComparison.Ordinal)));
            token = page.Metadata.ContinueProperty;
            pages++;
        }
        while (!string.IsNullOrEmpty(token));

        Assert.Equal(Enumerable.Range(0, 7).Select(i => $"cm-{i}"), seen.Order());
        Assert.True(pages >= 3);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Core_and_events_k8s_io_events_are_two_views_of_the_same_objects(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.EventsV1.CreateNamespacedEventAsync(
            TestEvents.Issued("e1", new V1ObjectReference { Kind = "Secret", Name = "target", NamespaceProperty = ns, Uid = "u-1" }, "issued a certificate"), ns);

        var core = await cluster.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: "involvedObject.name=target,involvedObject.kind=Secret");
        var none = await cluster.Client.CoreV1.ListNamespacedEventAsync(ns, fieldSelector: "involvedObject.name=other");

        var e = Assert.Single(core.Items);
        Assert.Equal("issued a certificate", e.Message);
        Assert.Equal("Issued", e.Reason);
        Assert.Equal("sigil.dev/operator", e.ReportingComponent);
        Assert.Empty(none.Items);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task Merge_json_and_strategic_patches_change_what_they_name_and_spec_changes_bump_generation(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.AppsV1.CreateNamespacedDeploymentAsync(Deployments.New("web"), ns);

        await cluster.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""
            {"spec":{"template":{"spec":{"containers":[{"name":"app","env":[{"name":"B","value":"2"}]}]}}}}
            """, V1Patch.PatchType.StrategicMergePatch), "web", ns);
        await cluster.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""{"metadata":{"labels":{"merged":"yes"}}}""", V1Patch.PatchType.MergePatch), "web", ns);
        await cluster.Client.AppsV1.PatchNamespacedDeploymentAsync(new V1Patch("""[{"op":"replace","path":"/spec/replicas","value":4}]""", V1Patch.PatchType.JsonPatch), "web", ns);

        var web = await cluster.Client.AppsV1.ReadNamespacedDeploymentAsync("web", ns);
        var containers = web.Spec.Template.Spec.Containers;
        Assert.Equal(["app", "sidecar"], containers.Select(c => c.Name));
        Assert.Equal(["A=1", "B=2"], containers[0].Env.Select(e => $"{e.Name}={e.Value}"));
        Assert.Equal("yes", web.Metadata.Labels["merged"]);
        Assert.Equal(4, web.Spec.Replicas);
        Assert.Equal(3, web.Metadata.Generation);
    }
}
