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
    // Deletions the cache has reported, with the deleted version: the one event after which a cache that holds nothing
    // is newer than a create, not older. Kept a few minutes, only to settle writes whose call returned after the delete.
    private readonly ConcurrentDictionary<string, (string? ResourceVersion, long At)> _deletions = new();
    private readonly Informer<T> _cache;

    public RecentWrites(Informer<T> cache)
    {
        _cache = cache;
        cache.OnChange((old, current) =>
        {
            if ((current ?? old) is not { } changed)
            {
                return;
            }
            var key = Informer<T>.Key(changed);
            if (current is null)
            {
                _deletions[key] = (old!.Metadata.ResourceVersion, Environment.TickCount64);
                _writes.TryRemove(key, out _);
                ForgetOldDeletions();
                return;
            }
            _deletions.TryRemove(key, out _);
            Settle(key);
        });
    }

    public int Count => _writes.Count;

    /// <param name="previousResourceVersion">The version the cache held when the write was made (null: it held nothing).</param>
    public void Record(string? previousResourceVersion, T written)
    {
        var key = Informer<T>.Key(written);
        // The object may have been written and deleted (a garbage collector) before this call returned: then the empty
        // cache is the newer state, and remembering the write would show a deleted object for good.
        if (_cache.Get(key) is null && _deletions.TryGetValue(key, out var deleted) && NotOlder(deleted.ResourceVersion, written.Metadata.ResourceVersion))
        {
            return;
        }
        _writes[key] = (previousResourceVersion, _cache.Transform(written));
        // The watch event for this write may have arrived before the write call returned.
        Settle(key);
    }

    // resourceVersions are opaque to clients, but kube-apiserver's (etcd's revision) and the emulator's are integers that grow.
    private static bool NotOlder(string? deleted, string? written) =>
        long.TryParse(deleted, out var d) && long.TryParse(written, out var w) && d >= w;

    private void ForgetOldDeletions()
    {
        var cutoff = Environment.TickCount64 - (long)TimeSpan.FromMinutes(5).TotalMilliseconds;
        foreach (var (key, deletion) in _deletions)
        {
            if (deletion.At < cutoff)
            {
                _deletions.TryRemove(KeyValuePair.Create(key, deletion));
            }
        }
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
