using System.Threading.Channels;
using k8s;
using k8s.Models;
using Sigil.Runtime;

namespace Sigil.Tests.Support;

/// <summary>A hand-written list/watch source: lists what it was given, then streams what the test writes.</summary>
internal sealed class FakeSource<T>(params T[] initial) : IResourceSource<T> where T : IKubernetesObject<V1ObjectMeta>
{
    private readonly Channel<(WatchEventType, T)> _events = Channel.CreateUnbounded<(WatchEventType, T)>();
    private int _version = 1;

    public string Description => "fake";

    public Task<(IReadOnlyList<T> Items, string ResourceVersion)> ListAsync(CancellationToken ct) =>
        Task.FromResult<(IReadOnlyList<T>, string)>(([.. initial.Select(Versioned)], "1"));

    public IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(string resourceVersion, Action<Exception> onError, CancellationToken ct) =>
        _events.Reader.ReadAllAsync(ct);

    public void Send(WatchEventType type, T obj) => _events.Writer.TryWrite((type, Versioned(obj)));

    private T Versioned(T obj)
    {
        obj.Metadata.ResourceVersion = Interlocked.Increment(ref _version).ToString(System.Globalization.CultureInfo.InvariantCulture);
        return obj;
    }
}
