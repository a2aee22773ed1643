using Microsoft.AspNetCore.Authentication;
using Sigil.Client.ApiKeys;

namespace Sigil.AspNetCore;

/// <summary>Options of <c>AddSigilHmac</c>.</summary>
public sealed class SigilHmacOptions : AuthenticationSchemeOptions
{
    /// <summary>The receiver's mounted <c>&lt;name&gt;-verifiers</c> Secret (<c>keys.json</c>). Required; stays owned by the caller.</summary>
    public VerifierKeysSource? Verifiers { get; set; }

    /// <summary>
    /// How far a signature's timestamp may be from this server's clock, either way (default 5 minutes). A signature is
    /// accepted once within it: the replay cache remembers it until its timestamp leaves the window.
    /// </summary>
    public TimeSpan ReplayWindow { get; set; } = HmacSignature.DefaultReplayWindow;

    /// <summary>The largest request body that is hashed (default 1 MiB); a larger signed request is refused.</summary>
    public long MaxBodySize { get; set; } = 1024 * 1024;

    /// <summary>
    /// How many accepted signatures the replay cache holds at most (default 100,000, a few tens of MB at most). When
    /// it is full of signatures still inside the window, new signed requests are refused until some age out: a replay
    /// is never let through for want of room. The cache is in this process's memory only: behind a Service with N
    /// replicas, one signature can be used once on each replica.
    /// </summary>
    public int ReplayCacheSize { get; set; } = 100_000;

    /// <summary>
    /// How many of the replay cache's entries one key may hold (default 10,000): a caller that fills its share is
    /// refused until its signatures age out, while other callers' keys are still accepted.
    /// </summary>
    public int ReplayCacheSizePerKey { get; set; } = 10_000;

    // One per scheme: the options instance is cached per scheme name. Made once even when the first requests race, or
    // a signature seen by a cache that lost the race could be accepted again.
    internal HmacReplayCache ReplayCache => LazyInitializer.EnsureInitialized(ref _replayCache, ref _replayCacheLock, () => new HmacReplayCache(ReplayCacheSize, ReplayCacheSizePerKey));

    private object? _replayCacheLock;

    private HmacReplayCache? _replayCache;
}
