using System.Runtime.CompilerServices;
using System.Threading.Channels;
using k8s;
using k8s.Models;
using Microsoft.Extensions.Logging.Abstractions;
using Sigil.Runtime;
using Sigil.Tests.Support;

namespace Sigil.Tests.Runtime;

/// <summary>What this process wrote stands in for the cache until the cache catches up, and not a moment longer.</summary>
public sealed class RecentWritesTests
{
    private sealed class ScriptedSource : IResourceSource<V1Secret>
    {
        public Channel<(WatchEventType, V1Secret)> Events { get; } = Channel.CreateUnbounded<(WatchEventType, V1Secret)>();

        public string Description => "scripted secrets";

        public Task<(IReadOnlyList<V1Secret> Items, string ResourceVersion)> ListAsync(CancellationToken ct) =>
            Task.FromResult<(IReadOnlyList<V1Secret>, string)>(([Secret("a", "1")], "1"));

        public async IAsyncEnumerable<(WatchEventType Type, V1Secret Object)> WatchAsync(string resourceVersion, Action<Exception> onError,
            [EnumeratorCancellation] CancellationToken ct)
        {
            await foreach (var change in Events.Reader.ReadAllAsync(ct))
            {
                yield return change;
            }
        }
    }

    private static V1Secret Secret(string name, string resourceVersion, string? key = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = name, NamespaceProperty = "ns", ResourceVersion = resourceVersion },
        Type = "kubernetes.io/tls",
        Data = key is null ? null : new Dictionary<string, byte[]> { ["tls.key"] = [.. key.Select(c => (byte)c)] },
    };

    private static async Task<(Informer<V1Secret>, ScriptedSource, CancellationTokenSource, Task)> StartAsync()
    {
        var source = new ScriptedSource();
        var informer = new Informer<V1Secret>(source, TimeProvider.System, NullLogger.Instance, s => new V1Secret { Metadata = s.Metadata, Type = s.Type });
        var stop = new CancellationTokenSource();
        var running = informer.RunAsync(stop.Token);
        await informer.Synced.WaitAsync(TimeSpan.FromSeconds(5));
        return (informer, source, stop, running);
    }

    [Fact]
    public async Task A_write_is_read_back_until_the_cache_reports_it_then_the_entry_is_gone()
    {
        var (informer, source, stop, running) = await StartAsync();
        var writes = new RecentWrites<V1Secret>(informer);

        writes.Record("1", Secret("a", "2", key: "private"));
        var during = writes.Freshest("ns", "a");
        await source.Events.Writer.WriteAsync((WatchEventType.Modified, Secret("a", "2")));
        await Eventually.TrueAsync(() => Task.FromResult(writes.Count == 0), TimeSpan.FromSeconds(5), "the entry outlived the watch event");
        await stop.CancelAsync();
        await running;

        Assert.Equal("2", during!.Metadata.ResourceVersion);
        Assert.Null(during.Data);
        Assert.Equal("2", writes.Freshest("ns", "a")!.Metadata.ResourceVersion);
    }

    [Fact]
    public async Task A_watch_event_that_arrived_before_the_write_returned_leaves_no_entry()
    {
        var (informer, source, stop, running) = await StartAsync();
        var writes = new RecentWrites<V1Secret>(informer);

        await source.Events.Writer.WriteAsync((WatchEventType.Added, Secret("b", "3")));
        await Eventually.TrueAsync(() => Task.FromResult(informer.Get("ns", "b") is not null));
        writes.Record(null, Secret("b", "3"));
        await stop.CancelAsync();
        await running;

        Assert.Equal(0, writes.Count);
    }

    [Fact]
    public async Task A_deleted_object_is_forgotten_and_not_read_back()
    {
        var (informer, source, stop, running) = await StartAsync();
        var writes = new RecentWrites<V1Secret>(informer);

        writes.Record("1", Secret("a", "2"));
        await source.Events.Writer.WriteAsync((WatchEventType.Deleted, Secret("a", "1")));
        await Eventually.TrueAsync(() => Task.FromResult(writes.Count == 0), TimeSpan.FromSeconds(5), "the entry outlived the delete");
        await stop.CancelAsync();
        await running;

        Assert.Null(writes.Freshest("ns", "a"));
    }

    [Fact]
    public async Task A_create_whose_object_was_deleted_before_the_call_returned_is_not_shown_again()
    {
        var (informer, source, stop, running) = await StartAsync();
        var writes = new RecentWrites<V1Secret>(informer);

        // The cache saw the object come and go (a garbage collector) before the create call returned.
        await source.Events.Writer.WriteAsync((WatchEventType.Added, Secret("late", "5")));
        await source.Events.Writer.WriteAsync((WatchEventType.Deleted, Secret("late", "6")));
        await Eventually.TrueAsync(() => Task.FromResult(informer.Get("ns", "late") is null), TimeSpan.FromSeconds(5));
        await Task.Delay(100);
        writes.Record(null, Secret("late", "5"));
        var shown = writes.Freshest("ns", "late");
        // A later create of the same name (after that delete) is remembered as usual.
        writes.Record(null, Secret("late", "7"));
        var recreated = writes.Freshest("ns", "late");
        await stop.CancelAsync();
        await running;

        Assert.Null(shown);
        Assert.Equal("7", recreated?.Metadata.ResourceVersion);
    }
}
