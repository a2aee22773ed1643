using System.Net;
using System.Text.Json.Nodes;
using k8s;
using k8s.Models;
using Sigil.LocalControlPlane;
using Sigil.Tests.Support;

namespace Sigil.LocalControlPlane.Tests;

/// <summary>Watch semantics: the stream every informer and <c>kubectl get -w</c> stands on.</summary>
public sealed class WatchTests
{
    public static TheoryData<ClusterKind> Kinds => TestCluster.Kinds;

    private static async Task<List<JsonObject>> CollectAsync(IAsyncEnumerable<JsonObject> stream, int count, TimeSpan? within = null)
    {
        using var cts = new CancellationTokenSource(within ?? TimeSpan.FromSeconds(15));
        var events = new List<JsonObject>();
        try
        {
            await foreach (var e in stream.WithCancellation(cts.Token))
            {
                events.Add(e);
                if (events.Count == count)
                {
                    break;
                }
            }
        }
        catch (OperationCanceledException)
        {
        }
        return events;
    }

    private static string Describe(JsonObject e) => $"{e["type"]} {e["object"]?["metadata"]?["name"]}";

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_watch_without_a_version_starts_with_existing_objects_then_streams_changes(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "before" } }, ns);

        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(20));
        var stream = cluster.Api.WatchAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&fieldSelector=metadata.name!=kube-root-ca.crt", ct: cts.Token);
        var collecting = CollectAsync(stream, 4);
        await Task.Delay(300);
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "after" } }, ns);
        await cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"a":"b"}}""", V1Patch.PatchType.MergePatch), "after", ns);
        await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("after", ns);

        Assert.Equal(["ADDED before", "ADDED after", "MODIFIED after", "DELETED after"], (await collecting).Select(Describe));
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_watch_from_a_resource_version_replays_only_what_came_after_it(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new() { Name = "old" } }, ns);
        var list = await cluster.Client.CoreV1.ListNamespacedSecretAsync(ns);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new() { Name = "new" } }, ns);

        var events = await CollectAsync(cluster.Api.WatchAsync($"/api/v1/namespaces/{ns}/secrets?watch=true&resourceVersion={list.Metadata.ResourceVersion}"), 1);

        Assert.Equal(["ADDED new"], events.Select(Describe));
    }

    [Fact]
    public async Task A_watch_from_a_version_older_than_the_history_gets_410_Gone()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local, new LocalClusterOptions { WatchHistoryCapacity = 5 });
        var ns = await cluster.CreateNamespaceAsync();
        var first = await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "c0" } }, ns);
        for (var i = 1; i < 10; i++)
        {
            await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = $"c{i}" } }, ns);
        }

        var events = await CollectAsync(cluster.Api.WatchAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={first.Metadata.ResourceVersion}"), 1);

        var error = Assert.Single(events);
        Assert.Equal("ERROR", (string?)error["type"]);
        Assert.Equal(410, (int?)error["object"]!["code"]);
        Assert.Equal("Expired", (string?)error["object"]!["reason"]);
    }

    [Fact]
    public async Task Bookmarks_arrive_when_asked_for_and_mark_the_end_of_initial_events()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local, new LocalClusterOptions { BookmarkInterval = TimeSpan.FromMilliseconds(200) });
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "one" } }, ns);

        var events = await CollectAsync(cluster.Api.WatchAsync(
            $"/api/v1/namespaces/{ns}/configmaps?watch=true&allowWatchBookmarks=true&sendInitialEvents=true&resourceVersionMatch=NotOlderThan"), 3);

        Assert.Equal(["ADDED", "BOOKMARK", "BOOKMARK"], events.Select(e => (string?)e["type"]));
        Assert.Equal("true", (string?)events[1]["object"]!["metadata"]!["annotations"]!["k8s.io/initial-events-end"]);
        Assert.NotNull(events[2]["object"]!["metadata"]!["resourceVersion"]);
    }

    [Fact]
    public async Task A_watch_ends_after_timeoutSeconds()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        using var giveUp = new CancellationTokenSource(TimeSpan.FromSeconds(30));

        var events = new List<JsonObject>();
        await foreach (var e in cluster.Api.WatchAsync("/api/v1/namespaces/default/secrets?watch=true&timeoutSeconds=1", ct: giveUp.Token))
        {
            events.Add(e);
        }

        Assert.False(giveUp.IsCancellationRequested, "the server never ended the watch");
        Assert.Empty(events);
    }

    [Theory]
    [MemberData(nameof(Kinds))]
    public async Task A_selector_watch_sees_objects_enter_as_ADDED_and_leave_as_DELETED(ClusterKind kind)
    {
        await using var cluster = await TestCluster.StartAsync(kind);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new() { Name = "s", Labels = new Dictionary<string, string> { ["team"] = "a" } } }, ns);
        var rv = (await cluster.Client.CoreV1.ListNamespacedSecretAsync(ns)).Metadata.ResourceVersion;

        var collecting = CollectAsync(cluster.Api.WatchAsync($"/api/v1/namespaces/{ns}/secrets?watch=true&labelSelector=team%3Db&resourceVersion={rv}"), 2);
        await Task.Delay(200);
        await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"labels":{"team":"b"}}}""", V1Patch.PatchType.MergePatch), "s", ns);
        await cluster.Client.CoreV1.PatchNamespacedSecretAsync(new V1Patch("""{"metadata":{"labels":{"team":"c"}}}""", V1Patch.PatchType.MergePatch), "s", ns);

        Assert.Equal(["ADDED s", "DELETED s"], (await collecting).Select(Describe));
    }

    [Fact]
    public async Task Many_watchers_each_receive_every_event()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var rv = (await cluster.Client.CoreV1.ListNamespacedConfigMapAsync(ns)).Metadata.ResourceVersion;

        var watchers = Enumerable.Range(0, 25)
            .Select(_ => CollectAsync(cluster.Api.WatchAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&resourceVersion={rv}"), 10))
            .ToList();
        for (var i = 0; i < 10; i++)
        {
            await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = $"m{i}" } }, ns);
        }

        foreach (var events in await Task.WhenAll(watchers))
        {
            Assert.Equal(Enumerable.Range(0, 10).Select(i => $"ADDED m{i}"), events.Select(Describe));
        }
    }

    [Fact]
    public async Task KubernetesClient_watches_deliver_typed_events()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        var seen = new TaskCompletionSource<(WatchEventType, string)>();

        using var watcher = cluster.Client.CoreV1.WatchListNamespacedSecret(ns, onEvent: (type, secret) => seen.TrySetResult((type, secret.Metadata.Name)));
        await Task.Delay(300);
        await cluster.Client.CoreV1.CreateNamespacedSecretAsync(new V1Secret { Metadata = new() { Name = "typed" } }, ns);

        Assert.Equal((WatchEventType.Added, "typed"), await seen.Task.WaitAsync(TimeSpan.FromSeconds(10)));
    }

    [Fact]
    public async Task Cutting_watches_closes_every_open_stream()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var local = cluster.RequireLocal();
        var closed = new TaskCompletionSource();

        using var watcher = cluster.Client.CoreV1.WatchListNamespacedSecret("default", onEvent: (_, _) => { }, onClosed: () => closed.TrySetResult());
        await Eventually.TrueAsync(() => Task.FromResult(local.Faults.CutWatches() > 0));

        await closed.Task.WaitAsync(TimeSpan.FromSeconds(10));
    }

    [Fact]
    public async Task A_watch_on_one_object_by_name_sees_only_that_object()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();

        var collecting = CollectAsync(cluster.Api.WatchAsync($"/api/v1/namespaces/{ns}/configmaps?watch=true&fieldSelector=metadata.name%3Dmine"), 1);
        await Task.Delay(200);
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "other" } }, ns);
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "mine" } }, ns);

        Assert.Equal(["ADDED mine"], (await collecting).Select(Describe));
        Assert.Equal(HttpStatusCode.OK, (await cluster.Api.GetAsync($"/api/v1/namespaces/{ns}/configmaps/mine")).Status);
    }
}
