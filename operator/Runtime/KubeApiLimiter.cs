using System.Diagnostics;
using System.Threading.RateLimiting;

namespace Sigil.Runtime;

/// <summary>
/// Client-side rate limit on requests to the Kubernetes API, as client-go has (QPS with a burst): a CA rotation
/// reissues every SVID, and the API server must see that as a steady trickle, never a flood. Watches are long-lived
/// and not counted. Requests queue for a token in order; none is dropped.
/// </summary>
internal sealed class KubeApiLimiter : IDisposable
{
    private readonly TokenBucketRateLimiter _bucket;
    private long _waitedTicks;

    public KubeApiLimiter(double qps, int burst)
    {
        (Qps, Burst) = (qps, burst);
        // One token per 1/qps, replenished in whole tokens: 50 QPS is a token every 20 ms.
        var period = TimeSpan.FromSeconds(1 / qps);
        var tokens = 1;
        if (period < TimeSpan.FromMilliseconds(10))
        {
            tokens = (int)Math.Ceiling(qps / 100);
            period = TimeSpan.FromSeconds(tokens / qps);
        }
        _bucket = new TokenBucketRateLimiter(new TokenBucketRateLimiterOptions
        {
            TokenLimit = burst,
            TokensPerPeriod = tokens,
            ReplenishmentPeriod = period,
            QueueLimit = int.MaxValue,
            QueueProcessingOrder = QueueProcessingOrder.OldestFirst,
            AutoReplenishment = true,
        });
    }

    public double Qps { get; }
    public int Burst { get; }

    /// <summary>How long requests have waited for a token, in all.</summary>
    public TimeSpan Waited => TimeSpan.FromTicks(Interlocked.Read(ref _waitedTicks));

    /// <summary>A handler for <c>new Kubernetes(config, handler)</c>.</summary>
    public DelegatingHandler Handler() => new Limiting(this);

    public void Dispose() => _bucket.Dispose();

    private async Task WaitAsync(CancellationToken ct)
    {
        var started = Stopwatch.GetTimestamp();
        using var lease = await _bucket.AcquireAsync(1, ct);
        Interlocked.Add(ref _waitedTicks, Stopwatch.GetElapsedTime(started).Ticks);
    }

    private sealed class Limiting(KubeApiLimiter limiter) : DelegatingHandler
    {
        protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
        {
            var query = request.RequestUri?.Query ?? "";
            if (!query.Contains("watch=true", StringComparison.Ordinal) && !query.Contains("watch=1", StringComparison.Ordinal))
            {
                await limiter.WaitAsync(cancellationToken);
            }
            return await base.SendAsync(request, cancellationToken);
        }
    }
}
