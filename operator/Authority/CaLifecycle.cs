namespace Sigil.Authority;

/// <summary>The validity of one CA certificate.</summary>
internal sealed record CaValidity(DateTimeOffset NotBefore, DateTimeOffset NotAfter)
{
    public TimeSpan Lifetime => NotAfter - NotBefore;
}

/// <summary>A CA that no longer signs but is still trusted, as the lifecycle decision sees it.</summary>
/// <param name="Manual">It was replaced by a manual rotation (or its Secret's CA was swapped): it leaves the bundles once
/// no leaf uses it, not at its expiry, since a manual rotation is often the answer to a compromise.</param>
/// <param name="LeavesMovedAt">When Sigil first saw that no leaf is signed by it any more.</param>
/// <param name="SignsLeaves">Whether some SVID Secret still holds a leaf it signed (gathered from the cache).</param>
internal sealed record RetiringFacts(CaValidity Validity, bool Manual, DateTimeOffset? LeavesMovedAt, bool SignsLeaves);

/// <summary>Everything the CA lifecycle decision looks at, gathered first so the decision is a pure function.</summary>
/// <param name="CanGenerate">False with --ca-secret: Sigil cannot make a successor, a person must replace the Secret.</param>
/// <param name="RotateRequest">The CA Secret's sigil.dev/rotate annotation.</param>
/// <param name="ActedOnRequest">The last sigil.dev/rotate value acted on.</param>
/// <param name="EveryBundleHoldsTrustSet">Every namespace's trust bundle and every SVID Secret's ca.crt hold the current trust set.</param>
internal sealed record LifecycleInput(
    CaValidity Active,
    CaValidity? Prepared,
    DateTimeOffset? PreparedPublishedAt,
    bool PreparedForManual,
    IReadOnlyList<RetiringFacts> Retiring,
    bool CanGenerate,
    string? RotateRequest,
    string? ActedOnRequest,
    bool EveryBundleHoldsTrustSet,
    TimeSpan Propagation,
    DateTimeOffset Now);

/// <summary>The steps of a CA rotation; each is one write of the CA state, derived from what is stored.</summary>
internal static class LifecycleSteps
{
    /// <summary>Generate the next CA and publish it in every bundle; it signs nothing yet.</summary>
    public const string Prepare = nameof(Prepare);
    /// <summary>A sigil.dev/rotate request arrived while a prepared CA waits: activate it as soon as propagation allows.</summary>
    public const string HurryPrepared = nameof(HurryPrepared);
    /// <summary>Every bundle holds the prepared CA: record when, so activation waits --bundle-propagation from then.</summary>
    public const string MarkPublished = nameof(MarkPublished);
    /// <summary>A bundle was found without the trust set after all (a write that raced the publication): wait again.</summary>
    public const string Unpublish = nameof(Unpublish);
    /// <summary>The prepared CA starts signing; the active one retires (trusted, signing nothing).</summary>
    public const string Activate = nameof(Activate);
    /// <summary>No leaf is signed by a manually retired CA any more: record when.</summary>
    public const string MarkLeavesMoved = nameof(MarkLeavesMoved);
    /// <summary>A retiring CA leaves the bundles.</summary>
    public const string Drop = nameof(Drop);
}

/// <param name="Index">For retiring-CA steps, which retiring CA.</param>
internal sealed record LifecycleDecision(string Step, string Message, int Index = -1);

/// <summary>
/// When a CA is prepared, activated and dropped (PRODUCT.md, "The root of trust, and its rotation"), as pure functions
/// of stored state and gathered facts, like SPIRE's prepare/activate slots: prepare at notAfter - min(lifetime/2, 30d),
/// activate at notAfter - min(lifetime/6, 7d) and never less than --bundle-propagation after every bundle held it,
/// drop 24h after expiry (a sixth of the lifetime for CAs under six days, so trials do not pile up expired CAs).
/// </summary>
internal static class CaLifecycle
{
    public static readonly TimeSpan MaxPrepareLead = TimeSpan.FromDays(30);
    public static readonly TimeSpan MaxActivateLead = TimeSpan.FromDays(7);
    public static readonly TimeSpan MaxDropGrace = TimeSpan.FromHours(24);

    public static DateTimeOffset PrepareAt(CaValidity ca) => ca.NotAfter - Min(ca.Lifetime / 2, MaxPrepareLead);

    public static DateTimeOffset ActivateAt(CaValidity ca) => ca.NotAfter - Min(ca.Lifetime / 6, MaxActivateLead);

    public static DateTimeOffset DropAt(CaValidity ca) => ca.NotAfter + Min(ca.Lifetime / 6, MaxDropGrace);

    /// <summary>The step due now, or null when nothing is (steps are taken one at a time, each stored before the next).</summary>
    public static LifecycleDecision? Decide(LifecycleInput i)
    {
        var manualRequested = !string.IsNullOrEmpty(i.RotateRequest) && i.RotateRequest != i.ActedOnRequest;
        if (i.Prepared is null && i.CanGenerate && (manualRequested || i.Now >= PrepareAt(i.Active)))
        {
            return new(LifecycleSteps.Prepare, manualRequested
                ? $"sigil.dev/rotate was set to \"{i.RotateRequest}\""
                : $"the active CA expires {i.Active.NotAfter:u}; its successor is due from {PrepareAt(i.Active):u}");
        }
        if (i.Prepared is not null && manualRequested)
        {
            return new(LifecycleSteps.HurryPrepared, $"sigil.dev/rotate was set to \"{i.RotateRequest}\"");
        }
        if (i.Prepared is not null && i.PreparedPublishedAt is null && i.EveryBundleHoldsTrustSet)
        {
            return new(LifecycleSteps.MarkPublished, "every trust bundle holds the prepared CA");
        }
        if (i.Prepared is not null && i.PreparedPublishedAt is not null && !i.EveryBundleHoldsTrustSet)
        {
            return new(LifecycleSteps.Unpublish, "a bundle lacked the current trust set after publication; the wait for --bundle-propagation starts again");
        }
        if (i.Prepared is not null && ActivationTime(i) is { } activation && i.Now >= activation)
        {
            return new(LifecycleSteps.Activate, i.PreparedForManual
                ? "a manual rotation, and every bundle has held the new CA for --bundle-propagation"
                : $"activation was due at {activation:u}");
        }
        for (var n = 0; n < i.Retiring.Count; n++)
        {
            var r = i.Retiring[n];
            if (r.Manual && r.LeavesMovedAt is null && !r.SignsLeaves)
            {
                return new(LifecycleSteps.MarkLeavesMoved, "no leaf is signed by the retired CA any more", n);
            }
            if (DropTime(r, i.Propagation) is { } drop && i.Now >= drop)
            {
                return new(LifecycleSteps.Drop, r.Manual ? "every leaf moved to the new CA, plus --bundle-propagation" : $"it expired at {r.Validity.NotAfter:u}", n);
            }
        }
        return null;
    }

    /// <summary>When the next step can become due by the clock alone (facts changing wake the manager too).</summary>
    public static DateTimeOffset? NextDue(LifecycleInput i)
    {
        var times = new List<DateTimeOffset?>
        {
            i.Prepared is null && i.CanGenerate ? PrepareAt(i.Active) : null,
            i.Prepared is not null ? ActivationTime(i) : null,
        };
        times.AddRange(i.Retiring.Select(r => DropTime(r, i.Propagation)));
        return times.Where(t => t is not null).Select(t => t!.Value).DefaultIfEmpty(DateTimeOffset.MaxValue).Min() is var min && min == DateTimeOffset.MaxValue ? null : min;
    }

    /// <summary>
    /// Whether the active CA will run out with no successor Sigil can make (--ca-secret): the CAExpiring warning, from the
    /// time Sigil would have prepared a successor itself (30 days ahead for a year's CA), so people have time to act.
    /// </summary>
    public static bool ExpiringWithoutSuccessor(LifecycleInput i) => !i.CanGenerate && i.Now >= PrepareAt(i.Active);

    /// <summary>
    /// The window over which leaves of a CA retired at <paramref name="activatedAt"/> move to the new one: on schedule, the
    /// first half of what it has left (every leaf has moved with half the time to spare, and a year's CA spreads 10,000
    /// reissues over 3.5 days); after a manual rotation (often a compromise) or a replaced --ca-secret, within
    /// --bundle-propagation, still spread, and the client's rate limit bounds the write rate.
    /// </summary>
    public static TimeSpan MigrationWindow(DateTimeOffset activatedAt, CaValidity retired, bool scheduled, TimeSpan propagation)
    {
        var half = (retired.NotAfter - activatedAt) / 2;
        var window = scheduled ? half : Min(half, propagation);
        return window > TimeSpan.Zero ? window : TimeSpan.Zero;
    }

    private static DateTimeOffset? ActivationTime(LifecycleInput i)
    {
        if (i.PreparedPublishedAt is not { } published)
        {
            return null;
        }
        var propagated = published + i.Propagation;
        return i.PreparedForManual ? propagated : Max(propagated, ActivateAt(i.Active));
    }

    private static DateTimeOffset? DropTime(RetiringFacts r, TimeSpan propagation) =>
        r.Manual ? (r.LeavesMovedAt is { } moved ? Min(moved + propagation, DropAt(r.Validity)) : DropAt(r.Validity)) : DropAt(r.Validity);

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;

    private static DateTimeOffset Min(DateTimeOffset a, DateTimeOffset b) => a < b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
