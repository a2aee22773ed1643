using Sigil.Authority;
using Sigil.Identity;

namespace Sigil.Tests.Authority;

public sealed class JwtKeyLifecycleTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Week = TimeSpan.FromHours(168);
    private static readonly TimeSpan Propagation = TimeSpan.FromMinutes(10);
    private const string ES = JwtSigningKey.ES256;
    private const string RS = JwtSigningKey.RS256;

    private static JwtKeyRecord Active(DateTimeOffset? at = null, string alg = ES) => new("active", alg, JwtKeyRole.Active, at ?? T0, ActivatedAt: at ?? T0);

    private static JwtKeyRecord Prepared(DateTimeOffset? at = null, DateTimeOffset? published = null, string alg = ES) =>
        new("prepared", alg, JwtKeyRole.Prepared, at ?? T0.AddHours(140), PublishedAt: published);

    private static JwtKeyRecord Retiring(DateTimeOffset retiredAt, string kid = "retiring") =>
        new(kid, ES, JwtKeyRole.Retiring, retiredAt - Week - TimeSpan.FromHours(28), ActivatedAt: retiredAt - Week, RetiredAt: retiredAt);

    private static JwtKeyLifecycleInput Input(DateTimeOffset now, bool bundlesCurrent = true, string alg = ES, TimeSpan? ttl = null, params JwtKeyRecord[] keys) =>
        new(keys, alg, ttl ?? Week, Propagation, bundlesCurrent, now);

    private static readonly Dictionary<string, (JwtKeyLifecycleInput Input, string? Step)> Table = new()
    {
        ["with no key at all, the first one is made and signs at once"] = (Input(T0), JwtKeySteps.First),
        ["even when the bundles are not current: nothing older could be in any JWKS"] = (Input(T0, bundlesCurrent: false), JwtKeySteps.First),
        ["a young active key needs nothing"] = (Input(T0.AddHours(1), keys: Active()), null),
        ["a week's key gets its successor a sixth of the week (28h) before its week ends"] = (Input(T0.AddHours(140), keys: Active()), JwtKeySteps.Prepare),
        ["and not a second earlier"] = (Input(T0.AddHours(140).AddSeconds(-1), keys: Active()), null),
        ["a prepared key is not published until every bundle holds it"] = (Input(T0.AddHours(141), bundlesCurrent: false, keys: [Active(), Prepared()]), null),
        ["once every bundle holds it, that time is recorded"] = (Input(T0.AddHours(141), keys: [Active(), Prepared()]), JwtKeySteps.MarkPublished),
        ["a published key does not sign before the active key's week ends"] =
            (Input(T0.AddHours(168).AddSeconds(-1), keys: [Active(), Prepared(published: T0.AddHours(141))]), null),
        ["it signs when the active key's week ends"] = (Input(T0.AddHours(168), keys: [Active(), Prepared(published: T0.AddHours(141))]), JwtKeySteps.Activate),
        ["a key published late still waits --bundle-propagation after it reached every bundle"] =
            (Input(T0.AddHours(170), keys: [Active(), Prepared(published: T0.AddHours(170).AddMinutes(-9))]), null),
        ["and signs once it has"] = (Input(T0.AddHours(170), keys: [Active(), Prepared(published: T0.AddHours(170).AddMinutes(-10))]), JwtKeySteps.Activate),
        ["a key never published never signs, however late it is"] = (Input(T0.AddHours(400), bundlesCurrent: false, keys: [Active(), Prepared()]), null),
        ["a bundle found stale after publication makes the wait start again"] =
            (Input(T0.AddHours(168), bundlesCurrent: false, keys: [Active(), Prepared(published: T0.AddHours(141))]), JwtKeySteps.Unpublish),
        ["a retired key stays published while a token it signed may be valid"] =
            (Input(T0.AddHours(24).AddMinutes(9), keys: [Active(T0), Retiring(T0)]), null),
        ["it leaves the JWKS 24h (the longest JWT lifetime) plus --bundle-propagation after it stopped signing"] =
            (Input(T0.AddHours(24).AddMinutes(10), keys: [Active(T0), Retiring(T0)]), JwtKeySteps.Drop),
        ["with an hour's ttl, many retired keys wait their 24h side by side and the oldest goes first"] =
            (Input(T0.AddHours(25), ttl: TimeSpan.FromHours(1), keys: [Retiring(T0, "old"), Retiring(T0.AddHours(1), "newer"), Active(T0.AddHours(24.5))]), JwtKeySteps.Drop),
        ["a changed --jwt-key-algorithm prepares a key of the new algorithm at once"] = (Input(T0.AddHours(1), alg: RS, keys: Active()), JwtKeySteps.Prepare),
        ["which is published like any successor"] = (Input(T0.AddHours(1), alg: RS, keys: [Active(), Prepared(T0.AddHours(1), alg: RS)]), JwtKeySteps.MarkPublished),
        ["and does not sign before --bundle-propagation"] =
            (Input(T0.AddHours(1), alg: RS, keys: [Active(), Prepared(T0.AddHours(1), published: T0.AddHours(1).AddMinutes(-9), alg: RS)]), null),
        ["but then signs without waiting for the old key's week to end"] =
            (Input(T0.AddHours(1), alg: RS, keys: [Active(), Prepared(T0.AddHours(1), published: T0.AddHours(1).AddMinutes(-10), alg: RS)]), JwtKeySteps.Activate),
        ["a prepared key of the algorithm the flag no longer names is discarded (it never signed)"] =
            (Input(T0.AddHours(150), alg: RS, keys: [Active(), Prepared(published: T0.AddHours(141))]), JwtKeySteps.Discard),
        ["stored keys of which none signs get a successor through publication, not a first key"] =
            (Input(T0.AddHours(1), keys: Retiring(T0)), JwtKeySteps.Prepare),
        ["a prepared key with no active one signs --bundle-propagation after publication"] =
            (Input(T0.AddHours(1), keys: [Retiring(T0), Prepared(T0, published: T0.AddMinutes(50))]), JwtKeySteps.Activate),
    };

    public static TheoryData<string> Cases => [.. Table.Keys];

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_lifecycle_takes_the_step_that_is_due(string because)
    {
        var (input, expected) = Table[because];

        var decision = JwtKeyLifecycle.Decide(input);

        Assert.True(expected == decision?.Step, $"{because}: got {decision?.Step ?? "nothing"} ({decision?.Message})");
    }

    [Theory]
    [InlineData(168 * 60, 10, 140 * 60)]
    [InlineData(60, 5, 50)]
    [InlineData(60, 10, 50)]
    [InlineData(30, 10, 20)]
    public void The_successor_is_prepared_a_sixth_of_the_ttl_ahead_and_never_less_than_propagation(int ttlMinutes, int propagationMinutes, int prepareMinute)
    {
        var at = JwtKeyLifecycle.PrepareAt(Active(), TimeSpan.FromMinutes(ttlMinutes), TimeSpan.FromMinutes(propagationMinutes));

        Assert.Equal(T0.AddMinutes(prepareMinute), at);
        Assert.True(T0.AddMinutes(ttlMinutes) - at >= TimeSpan.FromMinutes(propagationMinutes));
    }

    [Fact]
    public void The_next_wake_up_is_the_earliest_time_a_step_can_come_due()
    {
        Assert.Equal(T0.AddHours(140), JwtKeyLifecycle.NextDue(Input(T0, keys: Active())));
        Assert.Equal(T0.AddHours(168), JwtKeyLifecycle.NextDue(Input(T0.AddHours(141), keys: [Active(), Prepared(published: T0.AddHours(141))])));
        Assert.Equal(T0.AddHours(24).AddMinutes(10), JwtKeyLifecycle.NextDue(Input(T0.AddHours(1), keys: [Retiring(T0), Active(T0)])));
        // Waiting for publication is not a time: the publish pass wakes the lifecycle.
        Assert.Null(JwtKeyLifecycle.NextDue(Input(T0, keys: [Prepared()])));
    }

    [Fact]
    public void The_expiration_metric_shows_when_each_key_stops_signing_or_leaves_the_JWKS()
    {
        var input = Input(T0.AddHours(150), keys: [Retiring(T0), Active(), Prepared(published: T0.AddHours(141))]);

        Assert.Equal(T0.AddHours(168), JwtKeyLifecycle.Expiration(input.Keys[1], input));
        Assert.Equal(T0.AddHours(168 * 2), JwtKeyLifecycle.Expiration(input.Keys[2], input));
        Assert.Equal(T0.AddHours(24) + Propagation, JwtKeyLifecycle.Expiration(input.Keys[0], input));
    }

    /// <summary>
    /// The policy alone, stepped minute by minute through several rotations with each step applied as the manager would:
    /// every key that signs was published --bundle-propagation before, and every key that ever signed stays published
    /// until its tokens (24h) have expired plus propagation, and no longer than that plus the step.
    /// </summary>
    [Theory]
    [InlineData(60, 5)]
    [InlineData(30, 5)]
    [InlineData(168 * 60, 10)]
    public void Stepped_through_time_every_signer_was_published_first_and_stays_until_its_tokens_expired(int ttlMinutes, int propagationMinutes)
    {
        var ttl = TimeSpan.FromMinutes(ttlMinutes);
        var propagation = TimeSpan.FromMinutes(propagationMinutes);
        var state = JwtKeyState.Empty;
        var publishedSince = new Dictionary<string, DateTimeOffset>();
        var signedUntil = new Dictionary<string, DateTimeOffset>();
        var signers = new List<string>();
        var now = T0;
        var step = ttl > TimeSpan.FromHours(2) ? TimeSpan.FromMinutes(30) : TimeSpan.FromMinutes(1);
        var end = T0 + 3 * ttl + JwtKeyLifecycle.MaxTokenLifetime + 2 * propagation;
        while (now < end)
        {
            // A bundle holds what was stored at the end of the previous minute: a pass publishes, the next finds it current.
            var bundleKids = publishedSince.Keys.ToHashSet();
            for (JwtKeyDecision? d; (d = JwtKeyLifecycle.Decide(new JwtKeyLifecycleInput(state.Keys, ES, ttl, propagation,
                state.Keys.All(k => bundleKids.Contains(k.KeyId)), now))) is not null;)
            {
                state = JwtKeyTransitions.Apply(state, d, now, () => JwtSigningKey.Generate(ES));
            }
            foreach (var k in state.Keys.Where(k => !publishedSince.ContainsKey(k.KeyId)))
            {
                publishedSince[k.KeyId] = now;
            }
            foreach (var gone in publishedSince.Keys.Where(kid => state.Keys.All(k => k.KeyId != kid)).ToList())
            {
                Assert.True(now >= signedUntil[gone] + JwtKeyLifecycle.MaxTokenLifetime + propagation, $"{gone} left the JWKS at {now:u}, its tokens are valid until {signedUntil[gone] + JwtKeyLifecycle.MaxTokenLifetime:u}");
                Assert.True(now <= signedUntil[gone] + JwtKeyLifecycle.MaxTokenLifetime + propagation + 2 * step, $"{gone} stayed in the JWKS until {now:u}");
                publishedSince.Remove(gone);
            }
            var signer = state.Keys.Single(k => k.Role == JwtKeyRole.Active).KeyId;
            if (!signers.Contains(signer))
            {
                signers.Add(signer);
                Assert.True(signers.Count == 1 || now - publishedSince[signer] >= propagation + step,
                    $"{signer} signs at {now:u}, published in the bundle only since {publishedSince[signer]:u}");
            }
            signedUntil[signer] = now + step;
            now += step;
        }
        Assert.True(signers.Count >= 3, $"{signers.Count} keys signed");
    }
}
