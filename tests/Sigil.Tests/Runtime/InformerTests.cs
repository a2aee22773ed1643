using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Sigil.LocalControlPlane;
using Sigil.Runtime;
using Sigil.Tests.Support;

namespace Sigil.Tests.Runtime;

/// <summary>The informer against the local control plane: list, watch, resume, relist on 410.</summary>
public sealed class InformerTests
{
    private static Informer<V1ConfigMap> ConfigMaps(IKubernetes client, string ns, CapturedLogs? logs = null) => new(new ResourceSource<V1ConfigMap>(
        "configmaps",
        async ct =>
        {
            var list = await client.CoreV1.ListNamespacedConfigMapAsync(ns, cancellationToken: ct);
            return ([.. list.Items], list.Metadata.ResourceVersion);
        },
        (rv, onError, ct) => client.CoreV1.WatchListNamespacedConfigMapAsync(ns, allowWatchBookmarks: true, resourceVersion: rv, onError: onError, cancellationToken: ct)),
        TimeProvider.System, logs?.CreateLogger("informer") ?? NullLogger.Instance);

    [Fact]
    public async Task The_cache_follows_adds_updates_and_deletes_and_handlers_hear_old_and_new()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        var ns = await cluster.CreateNamespaceAsync();
        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "before" } }, ns);
        var informer = ConfigMaps(cluster.Client, ns);
        var heard = new List<string>();
        informer.OnChange((old, current) => { lock (heard) { heard.Add($"{old?.Metadata.Name ?? "-"}>{current?.Metadata.Name ?? "-"}"); } });
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);
        await informer.Synced.WaitAsync(TimeSpan.FromSeconds(10));

        await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = "after" } }, ns);
        await cluster.Client.CoreV1.PatchNamespacedConfigMapAsync(new V1Patch("""{"data":{"k":"v"}}""", V1Patch.PatchType.MergePatch), "after", ns);
        await cluster.Client.CoreV1.DeleteNamespacedConfigMapAsync("before", ns);
        await Eventually.TrueAsync(() => Task.FromResult(informer.Get(ns, "before") is null && informer.Get(ns, "after")?.Data?["k"] == "v"));
        await stop.CancelAsync();
        await running;

        Assert.Equal(["->before", "->after", "after>after", "before>-"], heard);
    }

    [Fact]
    public async Task A_watch_that_resumes_too_late_gets_410_and_the_informer_lists_again_without_losing_a_change()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local, new LocalClusterOptions { WatchHistoryCapacity = 5 });
        var local = cluster.RequireLocal();
        var ns = await cluster.CreateNamespaceAsync();
        var logs = new CapturedLogs();
        var informer = ConfigMaps(cluster.Client, ns, logs);
        using var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);
        await informer.Synced.WaitAsync(TimeSpan.FromSeconds(10));
        // The cut must find a watch open, so the resume below is what comes too late.
        await Eventually.TrueAsync(() => Task.FromResult(local.Requests.Count("watch", "configmaps", ns) >= 1), TimeSpan.FromSeconds(10), "the informer never watched");

        local.Faults.AddLatency(TimeSpan.FromMilliseconds(800), r => r.Verb == "watch" && r.Resource == "configmaps");
        local.Faults.CutWatches();
        for (var i = 0; i < 20; i++)
        {
            await cluster.Client.CoreV1.CreateNamespacedConfigMapAsync(new V1ConfigMap { Metadata = new() { Name = $"burst-{i}" } }, ns);
        }
        await Eventually.TrueAsync(() => Task.FromResult(informer.Count == 20), TimeSpan.FromSeconds(15), "the cache never caught up");
        local.Faults.Reset();
        await stop.CancelAsync();
        await running;

        Assert.True(logs.Lines.Any(l => l.Contains("410 Gone", StringComparison.Ordinal)), string.Join("\n", logs.Lines));
        Assert.True(local.Requests.Count("list", "configmaps", ns) >= 2, "the informer listed again after 410 Gone");
    }

    [Fact]
    public async Task A_watch_that_fails_on_something_the_API_did_not_do_stops_the_informer_with_its_error_and_logs_it_instead_of_dying_quietly()
    {
        // A NativeAOT build once lost the metadata to read watch events: the list synced, every watch event then failed to
        // parse, and the operator went on looking healthy with a cache that never changed again.
        var logs = new CapturedLogs();
        var listed = 0;
        var source = new ResourceSource<V1ConfigMap>(
            "configmaps",
            _ => { Interlocked.Increment(ref listed); return Task.FromResult<(IReadOnlyList<V1ConfigMap>, string)>(([], "1")); },
            (_, onError, _) => Unreadable(onError));
        var informer = new Informer<V1ConfigMap>(source, TimeProvider.System, logs.CreateLogger("informer"));

        var stopped = await Assert.ThrowsAsync<System.Text.Json.JsonException>(() => informer.RunAsync(TestContext.Current.CancellationToken).WaitAsync(TimeSpan.FromSeconds(10)));

        Assert.True(informer.Synced.IsCompletedSuccessfully);
        Assert.Equal(1, listed);
        Assert.Contains(logs.Lines, l => l.Contains("not retried", StringComparison.Ordinal) && l.Contains(stopped.Message, StringComparison.Ordinal));

        // As KubernetesClient's watch reads a line it cannot parse: it hands the error to onError and reads on.
        static async IAsyncEnumerable<(WatchEventType, V1ConfigMap)> Unreadable(Action<Exception> onError)
        {
            await Task.Yield();
            onError(new System.Text.Json.JsonException("The JSON value could not be converted to k8s.Models.V1ConfigMap. Path: $.object"));
            yield return (WatchEventType.Added, new V1ConfigMap { Metadata = new() { Name = "after-the-unreadable-one", NamespaceProperty = "x", ResourceVersion = "3" } });
        }
    }
}
