using System.Collections.Concurrent;

namespace Sigil.Runtime;

/// <summary>
/// Reconcile passes begun and finished, per key. The work queue never runs two passes over one key at once, so once
/// <see cref="Finished"/> exceeds what <see cref="Begun"/> was at some moment, a pass that began after that moment has
/// finished: what a caller waits for before it claims that a pass changed nothing, rather than waiting for a pause.
/// </summary>
internal sealed class PassCounts
{
    private readonly ConcurrentDictionary<string, long> _begun = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, long> _finished = new(StringComparer.Ordinal);
    private readonly ConcurrentDictionary<string, string> _lastRead = new(StringComparer.Ordinal);

    public long Begun(string key) => _begun.GetValueOrDefault(key);

    public long Finished(string key) => _finished.GetValueOrDefault(key);

    /// <summary>The resourceVersion the last finished pass over the key read from the cache when it began.</summary>
    public string? LastFinishedRead(string key) => _lastRead.GetValueOrDefault(key);

    /// <summary>
    /// The reconcile function, counting its passes (a pass that throws has finished too) and remembering which version of
    /// the object each read (<paramref name="cachedVersion"/> when it began). Once a pass finds the key gone (no cached
    /// version afterwards), its counts go too, so deleted identities cost nothing in a long-running operator.
    /// </summary>
    public Func<string, CancellationToken, Task<ReconcileResult>> Around(
        Func<string, CancellationToken, Task<ReconcileResult>> reconcile, Func<string, string?> cachedVersion) =>
        async (key, ct) =>
        {
            _begun.AddOrUpdate(key, 1, (_, n) => n + 1);
            var read = cachedVersion(key);
            try
            {
                return await reconcile(key, ct);
            }
            finally
            {
                _finished.AddOrUpdate(key, 1, (_, n) => n + 1);
                if (read is not null)
                {
                    _lastRead[key] = read;
                }
                if (cachedVersion(key) is null)
                {
                    _begun.TryRemove(key, out _);
                    _finished.TryRemove(key, out _);
                    _lastRead.TryRemove(key, out _);
                }
            }
        };
}
