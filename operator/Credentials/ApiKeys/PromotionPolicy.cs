namespace Sigil.Credentials.ApiKeys;

/// <summary>What the promotion decision looks at, gathered after step 2 (every accepting receiver's keys.json holds the next key).</summary>
/// <param name="FirstKey">The caller has no current key: nothing older can be presented instead, so the key is used at once.</param>
/// <param name="StagedAt">sigil.dev/next-key-staged-at on the caller Secret: since when every accepting receiver has held the next key.</param>
/// <param name="EveryReceiverHeldKey">Whether every accepting receiver's keys.json already held the next key before this pass
/// (false when this pass had to add it: a receiver added during the wait, or a keys.json that lost the key).</param>
/// <param name="Propagation">--bundle-propagation: how long a pod may take to see a changed keys.json.</param>
internal sealed record PromotionInput(bool FirstKey, DateTimeOffset? StagedAt, bool EveryReceiverHeldKey, DateTimeOffset Now, TimeSpan Propagation);

/// <summary>
/// Promote now, or wait until <paramref name="PromoteAt"/>. <paramref name="StagedAt"/> is the time to keep on the caller
/// Secret while waiting; <paramref name="StageNow"/> says it is new and must be written.
/// </summary>
internal sealed record PromotionDecision(bool Promote, string Reason, DateTimeOffset? StagedAt, bool StageNow, DateTimeOffset? PromoteAt)
{
    public static PromotionDecision Now(string reason) => new(true, reason, null, false, null);

    public static PromotionDecision Wait(string reason, DateTimeOffset stagedAt, bool stageNow, TimeSpan propagation) =>
        new(false, reason, stagedAt, stageNow, stagedAt + propagation);
}

/// <summary>Why a next key is promoted or kept waiting; log fields.</summary>
internal static class PromotionReasons
{
    public const string FirstKey = nameof(FirstKey);
    public const string NoPropagation = nameof(NoPropagation);
    public const string Propagated = nameof(Propagated);
    public const string WaitStarted = nameof(WaitStarted);
    public const string WaitRestarted = nameof(WaitRestarted);
    public const string Propagating = nameof(Propagating);
}

/// <summary>
/// When the caller may present its next key: once every accepting receiver's keys.json has held it for
/// --bundle-propagation, because each pod sees a changed Secret only when its kubelet syncs the volume. The wait
/// starts when the caller Secret records it (so a restart neither skips nor restarts it) and starts again whenever
/// a receiver had to be given the key, since that receiver's pods have not seen it yet.
/// </summary>
internal static class PromotionPolicy
{
    public static PromotionDecision Decide(PromotionInput input)
    {
        if (input.FirstKey)
        {
            // nothing older for a receiver to hold instead: present at once
            return PromotionDecision.Now(PromotionReasons.FirstKey);
        }
        if (input.Propagation <= TimeSpan.Zero)
        {
            // no wait asked for (--bundle-propagation 0s): promote in the pass that staged it, with no extra write
            return PromotionDecision.Now(PromotionReasons.NoPropagation);
        }
        if (input.StagedAt is null)
        {
            // every receiver holds the key from now on: start the wait
            return PromotionDecision.Wait(PromotionReasons.WaitStarted, StageTime(input.Now), true, input.Propagation);
        }
        if (!input.EveryReceiverHeldKey)
        {
            // a receiver got the key only in this pass: its pods need the whole wait too
            return PromotionDecision.Wait(PromotionReasons.WaitRestarted, StageTime(input.Now), true, input.Propagation);
        }
        if (input.Now >= input.StagedAt.Value + input.Propagation)
        {
            return PromotionDecision.Now(PromotionReasons.Propagated);
        }
        // keep waiting from the recorded time, whoever recorded it
        return PromotionDecision.Wait(PromotionReasons.Propagating, input.StagedAt.Value, false, input.Propagation);
    }

    /// <summary>
    /// The annotation keeps whole seconds: the next one after the pass began, never the one before, so the recorded
    /// time is not earlier than the keys.json writes it stands for (which follow the pass's start by milliseconds).
    /// </summary>
    private static DateTimeOffset StageTime(DateTimeOffset now) => Api.Timestamps.ToSecond(now) + TimeSpan.FromSeconds(1);
}
