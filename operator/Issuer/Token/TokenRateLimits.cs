using System.Net;
using System.Threading.RateLimiting;

namespace Sigil.Issuer.Token;

/// <summary>How many token requests one replica answers (per replica: replicas share no counters; the README says what that leaves).</summary>
/// <param name="TokensPerClientPerSecond">Tokens one authenticated client may obtain per second, sustained.</param>
/// <param name="ClientBurst">Tokens one client may obtain at once above that.</param>
/// <param name="RefusalsPerAddressPerSecond">Refused requests (bad credentials, malformed, unknown client) one remote address may
/// make per second before every request from it is turned away unread: limits unauthenticated floods and secret guessing,
/// and leaves well-behaved clients behind one address (a node, a proxy) alone.</param>
/// <param name="RefusalBurst">Refused requests one address may make at once above that.</param>
internal sealed record TokenLimits(
    double TokensPerClientPerSecond = 20,
    int ClientBurst = 100,
    double RefusalsPerAddressPerSecond = 10,
    int RefusalBurst = 50,
    int MaxBodyBytes = 16 * 1024)
{
    public static readonly TokenLimits Default = new();
}

/// <summary>Token buckets keyed by client id and by remote address (System.Threading.RateLimiting), idle ones dropped.</summary>
internal sealed class TokenRateLimits(TokenLimits limits) : IDisposable
{
    private readonly PartitionedRateLimiter<string> _clients = PartitionedRateLimiter.Create<string, string>(
        id => RateLimitPartition.GetTokenBucketLimiter(id, _ => Bucket(limits.TokensPerClientPerSecond, limits.ClientBurst)));
    private readonly PartitionedRateLimiter<IPAddress> _refusals = PartitionedRateLimiter.Create<IPAddress, IPAddress>(
        address => RateLimitPartition.GetTokenBucketLimiter(address, _ => Bucket(limits.RefusalsPerAddressPerSecond, limits.RefusalBurst)));

    /// <summary>Null while the address may be served; when it has used up its refusals, how long until it may try again.</summary>
    public TimeSpan? AddressBlocked(IPAddress address)
    {
        // Asks "is a whole refusal left?" without spending one. (AttemptAcquire(0) would not do: the bucket refills in
        // fractions, and a zero-permit lease succeeds with any fraction in it.)
        if (_refusals.GetStatistics(address) is { CurrentAvailablePermits: < 1 })
        {
            return TimeSpan.FromSeconds(Math.Max(1, Math.Ceiling(1 / limits.RefusalsPerAddressPerSecond)));
        }
        return null;
    }

    /// <summary>Spends one of the address's refusals.</summary>
    public void Refused(IPAddress address)
    {
        using var _ = _refusals.AttemptAcquire(address, 1);
    }

    /// <summary>Null when the client may have this token; else how long until it may.</summary>
    public TimeSpan? ClientLimited(string clientId)
    {
        using var lease = _clients.AttemptAcquire(clientId, 1);
        return lease.IsAcquired ? null : RetryAfter(lease);
    }

    private static TokenBucketRateLimiterOptions Bucket(double perSecond, int burst)
    {
        // Replenish every 100 ms (or once per token, when that is rarer), with as many tokens as the period earns.
        var period = perSecond >= 10 ? TimeSpan.FromMilliseconds(100) : TimeSpan.FromSeconds(1 / perSecond);
        var perPeriod = Math.Max(1, (int)Math.Round(perSecond * period.TotalSeconds));
        return new TokenBucketRateLimiterOptions
        {
            TokenLimit = Math.Max(1, burst),
            TokensPerPeriod = perPeriod,
            ReplenishmentPeriod = period,
            QueueLimit = 0,
            // The partitioned limiter replenishes its partitions from one timer; a timer per partition (per client, per
            // address) would let a flood from many addresses cost a timer each.
            AutoReplenishment = false,
        };
    }

    private static TimeSpan RetryAfter(RateLimitLease lease) =>
        lease.TryGetMetadata(MetadataName.RetryAfter, out var after) && after > TimeSpan.Zero ? after : TimeSpan.FromSeconds(1);

    public void Dispose()
    {
        _clients.Dispose();
        _refusals.Dispose();
    }
}
