using System.Runtime.InteropServices;

namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>
/// The client assertions this replica has accepted, until each expires (RFC 7523 section 3, item 7: a jti seen again
/// within its lifetime is refused). Per replica, in memory: a second replica has its own, so an assertion captured in
/// flight could be replayed once against each other replica within its (at most 5-minute) lifetime; the README says so.
/// Sharing it would cost an API write per request. Bounded: a full memory refuses new assertions rather than forgetting
/// live ones (forgetting would reopen replay). Each client has a share of its own (<see cref="DefaultPerClient"/>): one client
/// sending distinct valid assertions as fast as it may fills its own share and is refused, never the others.
/// </summary>
internal sealed class JtiReplayCache(int capacity = JtiReplayCache.DefaultCapacity, int perClient = JtiReplayCache.DefaultPerClient)
{
    /// <summary>About 200 bytes an entry: a few MB at most. At most 5 minutes each, this is 166 new assertions a second
    /// sustained, far above what clients that cache their access tokens (15 minutes by default) send.</summary>
    public const int DefaultCapacity = 50_000;

    /// <summary>A client's live assertions at most: 6 a second for 5-minute assertions, 33 for openid-client's 1-minute ones.</summary>
    public const int DefaultPerClient = 2_000;

    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _perClient = new(StringComparer.Ordinal);
    private readonly Dictionary<string, DateTimeOffset> _seen = new(StringComparer.Ordinal);
    private readonly PriorityQueue<string, DateTimeOffset> _byExpiry = new();

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

    /// <summary>Remembers the assertion; false when it was seen before and has not expired (a replay), or the memory is full.</summary>
    /// <param name="full">Set when the refusal is for want of room, not a replay.</param>
    public bool TryUse(ValidAssertion assertion, DateTimeOffset now, out bool full)
    {
        full = false;
        // jti is unique per issuer (RFC 7519 4.1.7): two clients may pick the same one without either replaying.
        var key = assertion.SpiffeId + "\n" + assertion.Jti;
        lock (_lock)
        {
            Forget(now);
            if (_seen.TryGetValue(key, out var expires) && expires > now)
            {
                return false;
            }
            if (_seen.Count >= capacity || _perClient.GetValueOrDefault(assertion.SpiffeId) >= perClient)
            {
                full = true;
                return false;
            }
            _perClient[assertion.SpiffeId] = _perClient.GetValueOrDefault(assertion.SpiffeId) + 1;
            _seen[key] = assertion.ExpiresAt;
            _byExpiry.Enqueue(key, assertion.ExpiresAt);
            return true;
        }
    }

    private void Forget(DateTimeOffset now)
    {
        while (_byExpiry.TryPeek(out var key, out var expires) && expires <= now)
        {
            _byExpiry.Dequeue();
            if (_seen.TryGetValue(key, out var current) && current <= now)
            {
                _seen.Remove(key);
                var client = key[..key.IndexOf('\n', StringComparison.Ordinal)];
                if (--CollectionsMarshal.GetValueRefOrNullRef(_perClient, client) == 0)
                {
                    _perClient.Remove(client);
                }
            }
        }
    }
}
