using System.Collections.Concurrent;

namespace Sigil.AspNetCore;

/// <summary>
/// The signatures accepted recently, each kept until its timestamp has left the replay window (after which the
/// timestamp check refuses it anyway). Bounded: at most <c>capacity</c> entries; per process.
/// </summary>
internal sealed class HmacReplayCache(int capacity)
{
    private readonly ConcurrentDictionary<string, long> _seen = new(StringComparer.Ordinal);
    private readonly Lock _sweeping = new();

    public int Count => _seen.Count;

    public enum Outcome
    {
        First,
        Replayed,
        Full,
    }

    /// <summary>Records <paramref name="signature"/> of <paramref name="keyId"/> as used until <paramref name="forgetAfter"/> (unix seconds).</summary>
    public Outcome TryUse(string keyId, string signature, long forgetAfter, long now)
    {
        if (_seen.Count >= capacity)
        {
            Sweep(now);
            if (_seen.Count >= capacity)
            {
                return _seen.ContainsKey(Key(keyId, signature)) ? Outcome.Replayed : Outcome.Full;
            }
        }
        return _seen.TryAdd(Key(keyId, signature), forgetAfter) ? Outcome.First : Outcome.Replayed;
    }

    private void Sweep(long now)
    {
        lock (_sweeping)
        {
            foreach (var (key, forgetAfter) in _seen)
            {
                if (forgetAfter < now)
                {
                    _seen.TryRemove(key, out _);
                }
            }
        }
    }

    private static string Key(string keyId, string signature) => keyId + "\n" + signature;
}
