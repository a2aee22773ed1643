namespace Sigil.Authority;

/// <summary>Where a JWT signing key is in its life.</summary>
internal enum JwtKeyRole
{
    /// <summary>Published in every JWKS, signing nothing yet.</summary>
    Prepared,
    /// <summary>Signs every new JWT (and stays published).</summary>
    Active,
    /// <summary>Signs nothing any more; published until every token it signed has expired, plus --bundle-propagation.</summary>
    Retiring,
}

/// <summary>
/// One stored JWT signing key as the lifecycle decision sees it: no key material, only its kid, algorithm, role and the
/// times its steps were taken (each stored to the second, as the state Secret keeps them).
/// </summary>
/// <param name="PublishedAt">When a publish pass first found every bundle holding it (null until then; kept after
/// activation, so the stored state shows the wait each key had; the first key, never prepared, has its creation time).</param>
/// <param name="ActivatedAt">When it started signing (active and retiring keys).</param>
/// <param name="RetiredAt">When it stopped signing (retiring keys).</param>
internal sealed record JwtKeyRecord(
    string KeyId,
    string Algorithm,
    JwtKeyRole Role,
    DateTimeOffset PreparedAt,
    DateTimeOffset? PublishedAt = null,
    DateTimeOffset? ActivatedAt = null,
    DateTimeOffset? RetiredAt = null);

/// <summary>Everything the JWT key lifecycle decision looks at, gathered first so the decision is a pure function.</summary>
/// <param name="Keys">The stored keys, oldest first.</param>
/// <param name="Algorithm">--jwt-key-algorithm: what a new key is, and what the active key should be.</param>
/// <param name="Ttl">--jwt-key-ttl: how long each key signs.</param>
/// <param name="EveryBundleHoldsKeys">Every namespace's trust bundle already held the published JWT keys (jwks.json and
/// bundle.spiffe) when this pass looked, so no write of the pass is still on its way to the kubelets.</param>
internal sealed record JwtKeyLifecycleInput(
    IReadOnlyList<JwtKeyRecord> Keys,
    string Algorithm,
    TimeSpan Ttl,
    TimeSpan Propagation,
    bool EveryBundleHoldsKeys,
    DateTimeOffset Now)
{
    public JwtKeyRecord? Active => Keys.FirstOrDefault(k => k.Role == JwtKeyRole.Active);

    public JwtKeyRecord? Prepared => Keys.FirstOrDefault(k => k.Role == JwtKeyRole.Prepared);
}

/// <summary>The steps of a JWT key rotation; each is one write of the key Secret, derived from what is stored.</summary>
internal static class JwtKeySteps
{
    /// <summary>There is no key at all: make one that signs at once (nothing older could be in anyone's JWKS).</summary>
    public const string First = nameof(First);
    /// <summary>Generate the next key and publish it in every JWKS; it signs nothing yet.</summary>
    public const string Prepare = nameof(Prepare);
    /// <summary>A prepared key of an algorithm --jwt-key-algorithm no longer names: it never signed, so it simply goes.</summary>
    public const string Discard = nameof(Discard);
    /// <summary>Every bundle holds the prepared key: record when, so activation waits --bundle-propagation from then.</summary>
    public const string MarkPublished = nameof(MarkPublished);
    /// <summary>A bundle was found without the keys after all (a write that raced the publication): wait again.</summary>
    public const string Unpublish = nameof(Unpublish);
    /// <summary>The prepared key starts signing; the active one retires (published, signing nothing).</summary>
    public const string Activate = nameof(Activate);
    /// <summary>Every token a retiring key signed has expired, plus --bundle-propagation: it leaves the JWKS.</summary>
    public const string Drop = nameof(Drop);
}

/// <param name="KeyId">The key the step is about (Activate: the prepared key; Discard and Drop: the key that goes).</param>
internal sealed record JwtKeyDecision(string Step, string Message, string? KeyId = null);

/// <summary>
/// When a JWT signing key is prepared, activated and dropped (PRODUCT.md, "The root of trust, and its rotation"), as
/// pure functions of stored state and gathered facts, on the CA's prepare/activate scheme:
/// <list type="bullet">
/// <item>the first key signs at once;</item>
/// <item>its successor is prepared (published, signing nothing) at <c>activatedAt + ttl - max(propagation, ttl/6)</c>;</item>
/// <item>it is activated at <c>max(activatedAt + ttl, publishedAt + propagation)</c>, where publishedAt is when a pass
/// first found every bundle holding it, so it has sat in every JWKS for --bundle-propagation before its first signature;</item>
/// <item>the key it replaces is dropped at <c>retiredAt + MaxTokenLifetime + propagation</c>: every token it signed has
/// expired, and every JWKS a verifier caches has had time to learn that.</item>
/// </list>
/// The prepare lead is a sixth of the ttl (28h for the default week): --jwt-key-ttl is at least 6 x --bundle-propagation,
/// so this is never shorter than the propagation wait, and it leaves room for what can delay publication (a slow pass
/// over many namespaces, a leader failover, a bundle someone edited) without making the key sign late. It mirrors the CA,
/// whose successor also starts signing a sixth of its lifetime before the end.
/// </summary>
internal static class JwtKeyLifecycle
{
    /// <summary>
    /// The longest lifetime of any JWT Sigil signs: JWT-SVIDs are at most 24h (spec.jwt.ttl). A key leaves the JWKS only
    /// this long after it stopped signing. The token endpoint (--access-token-ttl) raises it if it ever signs longer.
    /// </summary>
    public static readonly TimeSpan MaxTokenLifetime = TimeSpan.FromHours(24);

    /// <summary>How long before its predecessor's ttl ends a new key is prepared: a sixth of the ttl, never less than propagation.</summary>
    public static TimeSpan PrepareLead(TimeSpan ttl, TimeSpan propagation) => Max(ttl / 6, propagation);

    /// <summary>When the successor of <paramref name="active"/> is prepared.</summary>
    public static DateTimeOffset PrepareAt(JwtKeyRecord active, TimeSpan ttl, TimeSpan propagation) =>
        SignsFrom(active) + ttl - PrepareLead(ttl, propagation);

    /// <summary>When a retiring key leaves every JWKS.</summary>
    public static DateTimeOffset DropAt(JwtKeyRecord retiring, TimeSpan propagation) =>
        (retiring.RetiredAt ?? retiring.PreparedAt) + MaxTokenLifetime + propagation;

    /// <summary>The step due now, or null when nothing is (steps are taken one at a time, each stored before the next).</summary>
    public static JwtKeyDecision? Decide(JwtKeyLifecycleInput i)
    {
        if (i.Keys.Count == 0)
        {
            return new(JwtKeySteps.First, "there is no JWT signing key yet");
        }
        var active = i.Active;
        var prepared = i.Prepared;
        if (prepared is not null && prepared.Algorithm != i.Algorithm)
        {
            return new(JwtKeySteps.Discard, $"the prepared key is {prepared.Algorithm} and --jwt-key-algorithm is now {i.Algorithm}", prepared.KeyId);
        }
        if (prepared is null && active is null)
        {
            // Keys, but none signs (a state restored without its active key): a new one goes through publication like any
            // successor, since verifiers hold the old ones.
            return new(JwtKeySteps.Prepare, "no stored JWT key signs");
        }
        if (prepared is null && active!.Algorithm != i.Algorithm)
        {
            return new(JwtKeySteps.Prepare, $"the active key is {active.Algorithm} and --jwt-key-algorithm is now {i.Algorithm}");
        }
        if (prepared is null && i.Now >= PrepareAt(active!, i.Ttl, i.Propagation))
        {
            return new(JwtKeySteps.Prepare, $"the active key signs until {SignsFrom(active!) + i.Ttl:u}; its successor is due from {PrepareAt(active!, i.Ttl, i.Propagation):u}");
        }
        if (prepared is not null && prepared.PublishedAt is null && i.EveryBundleHoldsKeys)
        {
            return new(JwtKeySteps.MarkPublished, "every trust bundle holds the prepared JWT key", prepared.KeyId);
        }
        if (prepared is not null && prepared.PublishedAt is not null && !i.EveryBundleHoldsKeys)
        {
            return new(JwtKeySteps.Unpublish, "a bundle lacked the JWT keys after publication; the wait for --bundle-propagation starts again", prepared.KeyId);
        }
        if (prepared is not null && ActivationTime(i) is { } activation && i.Now >= activation)
        {
            return new(JwtKeySteps.Activate, $"activation was due at {activation:u}", prepared.KeyId);
        }
        foreach (var retiring in i.Keys.Where(k => k.Role == JwtKeyRole.Retiring))
        {
            if (i.Now >= DropAt(retiring, i.Propagation))
            {
                return new(JwtKeySteps.Drop, $"it stopped signing at {retiring.RetiredAt:u}; every token it signed has expired", retiring.KeyId);
            }
        }
        return null;
    }

    /// <summary>When the next step can become due by the clock alone (facts changing wake the manager too).</summary>
    public static DateTimeOffset? NextDue(JwtKeyLifecycleInput i)
    {
        var active = i.Active;
        var times = new List<DateTimeOffset?>
        {
            i.Prepared is null && active is not null ? PrepareAt(active, i.Ttl, i.Propagation) : null,
            ActivationTime(i),
        };
        times.AddRange(i.Keys.Where(k => k.Role == JwtKeyRole.Retiring).Select(k => (DateTimeOffset?)DropAt(k, i.Propagation)));
        var due = times.OfType<DateTimeOffset>().ToList();
        return due.Count == 0 ? null : due.Min();
    }

    /// <summary>
    /// When the prepared key may start signing: never before it has been in every bundle for --bundle-propagation, and on
    /// schedule not before the active key's ttl ends. When the active key is of another algorithm (the flag changed) or
    /// there is none, as soon as propagation allows: waiting would only keep the old algorithm longer.
    /// </summary>
    public static DateTimeOffset? ActivationTime(JwtKeyLifecycleInput i)
    {
        if (i.Prepared?.PublishedAt is not { } published)
        {
            return null;
        }
        var propagated = published + i.Propagation;
        return i.Active is { } active && active.Algorithm == i.Algorithm ? Max(propagated, SignsFrom(active) + i.Ttl) : propagated;
    }

    /// <summary>
    /// What sigil_jwt_key_expiration_timestamp_seconds shows for a key: when it stops signing (active: activatedAt + ttl;
    /// prepared: when it would stop if activated on schedule) or, for a retiring key, when it leaves the JWKS.
    /// </summary>
    public static DateTimeOffset Expiration(JwtKeyRecord key, JwtKeyLifecycleInput i) => key.Role switch
    {
        JwtKeyRole.Active => SignsFrom(key) + i.Ttl,
        JwtKeyRole.Prepared => (ActivationTime(i) ?? Max((key.PublishedAt ?? key.PreparedAt) + i.Propagation, i.Active is { } a ? SignsFrom(a) + i.Ttl : i.Now)) + i.Ttl,
        _ => DropAt(key, i.Propagation),
    };

    private static DateTimeOffset SignsFrom(JwtKeyRecord key) => key.ActivatedAt ?? key.PreparedAt;

    private static TimeSpan Max(TimeSpan a, TimeSpan b) => a > b ? a : b;

    private static DateTimeOffset Max(DateTimeOffset a, DateTimeOffset b) => a > b ? a : b;
}
