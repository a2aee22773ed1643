using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Sigil.Runtime;

/// <summary>
/// Remembers what this process just wrote, until its cache has caught up (client-go's "expectations").
/// Without it, a pass that runs between a write and the watch event that reports it would see the old
/// object and act again: renew a certificate twice, or write the same status twice.
/// </summary>
internal sealed class RecentWrites<T> where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ConcurrentDictionary<string, (string? PreviousResourceVersion, T Written)> _writes = new();

    /// <param name="previousResourceVersion">The version the cache held when the write was made (null: it held nothing).</param>
    public void Record(string key, string? previousResourceVersion, T written) => _writes[key] = (previousResourceVersion, written);

    /// <summary>The freshest known state: what was written, while the cache still shows what it replaced.</summary>
    public T? Freshest(string key, T? cached)
    {
        if (!_writes.TryGetValue(key, out var write))
        {
            return cached;
        }
        if (cached?.Metadata.ResourceVersion == write.PreviousResourceVersion)
        {
            return write.Written;
        }
        _writes.TryRemove(key, out _);
        return cached;
    }

    public void Forget(string key) => _writes.TryRemove(key, out _);
}
