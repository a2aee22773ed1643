using k8s;
using k8s.Models;

namespace Sigil.Runtime;

/// <summary>How an informer lists and watches one kind: the narrow boundary between the runtime and the API.</summary>
internal interface IResourceSource<T> where T : IKubernetesObject<V1ObjectMeta>
{
    string Description { get; }

    Task<(IReadOnlyList<T> Items, string ResourceVersion)> ListAsync(CancellationToken ct);

    /// <summary>Streams changes after <paramref name="resourceVersion"/>; <paramref name="onError"/> receives ERROR events (e.g. 410 Gone).</summary>
    IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(string resourceVersion, Action<Exception> onError, CancellationToken ct);
}

/// <summary>A list/watch source built from two KubernetesClient calls.</summary>
internal sealed class ResourceSource<T>(
    string description,
    Func<CancellationToken, Task<(IReadOnlyList<T> Items, string ResourceVersion)>> list,
    Func<string, Action<Exception>, CancellationToken, IAsyncEnumerable<(WatchEventType, T)>> watch) : IResourceSource<T>
    where T : IKubernetesObject<V1ObjectMeta>
{
    public string Description => description;

    public Task<(IReadOnlyList<T> Items, string ResourceVersion)> ListAsync(CancellationToken ct) => list(ct);

    public IAsyncEnumerable<(WatchEventType Type, T Object)> WatchAsync(string resourceVersion, Action<Exception> onError, CancellationToken ct) =>
        watch(resourceVersion, onError, ct);
}
