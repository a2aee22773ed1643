using System.Collections.Concurrent;
using k8s;
using k8s.Models;

namespace Sigil.Runtime;

/// <summary>
/// Remembers what this process just wrote, until its cache has caught up (client-go's "expectations").
/// Without it, a pass that runs between a write and the watch event that reports it would see the old
/// object and act again: renew a certificate twice, or write the same status twice.
/// An entry lives only until the informer reports any other version of the object, and holds the object in
/// the form the cache holds it (a compacted Secret keeps no private key), so a burst of writes leaves nothing behind.
/// </summary>
internal sealed class RecentWrites<T> where T : class, IKubernetesObject<V1ObjectMeta>
{
    private readonly ConcurrentDictionary<string, (string? PreviousResourceVersion, T Written)> _writes = new();
    private readonly Informer<T> _cache;

    public RecentWrites(Informer<T> cache)
    {
        _cache = cache;
        cache.OnChange((old, current) =>
        {
            if ((current ?? old) is { } changed)
            {
                Settle(Informer<T>.Key(changed));
            }
        });
    }

    public int Count => _writes.Count;

    /// <param name="previousResourceVersion">The version the cache held when the write was made (null: it held nothing).</param>
    public void Record(string? previousResourceVersion, T written)
    {
        var key = Informer<T>.Key(written);
        _writes[key] = (previousResourceVersion, _cache.Transform(written));
        // The watch event for this write may have arrived before the write call returned.
        Settle(key);
    }

    /// <summary>The freshest known state: what was written, while the cache still shows what it replaced.</summary>
    public T? Freshest(string ns, string name)
    {
        var key = Informer<T>.Key(ns, name);
        var cached = _cache.Get(ns, name);
        return _writes.TryGetValue(key, out var write) && cached?.Metadata.ResourceVersion == write.PreviousResourceVersion ? write.Written : cached;
    }

    private void Settle(string key)
    {
        if (_writes.TryGetValue(key, out var write) && _cache.Get(key)?.Metadata.ResourceVersion != write.PreviousResourceVersion)
        {
            _writes.TryRemove(KeyValuePair.Create(key, write));
        }
    }
}
