namespace Sigil.AspNetCore;

/// <summary>
/// The signatures accepted recently, each kept until its timestamp has left the replay window (after which the
/// timestamp check refuses it anyway). Bounded: at most <c>capacity</c> entries, and at most <c>perKey</c> for any one
/// key, so one caller signing as fast as it can fills its own share and is refused, never the others (as the
/// operator's JtiReplayCache does per client); per process.
/// </summary>
internal sealed class HmacReplayCache(int capacity, int perKey)
{
    private readonly Dictionary<string, (string KeyId, long ForgetAfter)> _seen = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _perKey = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();
    private long _sweptAt = long.MinValue;

    public int Count
    {
        get
        {
            lock (_lock)
            {
                return _seen.Count;
            }
        }
    }

    public enum Outcome
    {
        First,
        Replayed,
        Full,
    }

    /// <summary>Records <paramref name="signature"/> of <paramref name="keyId"/> as used until <paramref name="forgetAfter"/> (unix seconds).</summary>
    public Outcome TryUse(string keyId, string signature, long forgetAfter, long now)
    {
        var entry = keyId + "\n" + signature;
        lock (_lock)
        {
            if (_seen.ContainsKey(entry))
            {
                return Outcome.Replayed;
            }
            if (IsFull(keyId))
            {
                // At most one sweep per second: a key refused for its full share must not make every request walk the cache.
                if (now != _sweptAt)
                {
                    Sweep(now);
                }
                if (IsFull(keyId))
                {
                    return Outcome.Full;
                }
            }
            _seen[entry] = (keyId, forgetAfter);
            _perKey[keyId] = _perKey.GetValueOrDefault(keyId) + 1;
            return Outcome.First;
        }
    }

    private bool IsFull(string keyId) => _seen.Count >= capacity || _perKey.GetValueOrDefault(keyId) >= perKey;

    private void Sweep(long now)
    {
        _sweptAt = now;
        foreach (var (entry, (keyId, forgetAfter)) in _seen)
        {
            if (forgetAfter < now)
            {
                _seen.Remove(entry);
                if (--System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrNullRef(_perKey, keyId) == 0)
                {
                    _perKey.Remove(keyId);
                }
            }
        }
    }
}
