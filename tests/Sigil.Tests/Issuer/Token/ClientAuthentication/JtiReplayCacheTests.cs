using Sigil.Issuer.Token.ClientAuthentication;
using static Sigil.Tests.Issuer.Token.ClientAuthentication.TestSvids;

namespace Sigil.Tests.Issuer.Token.ClientAuthentication;

/// <summary>A jti seen again within its lifetime is refused; memory stays bounded and forgets what has expired.</summary>
public sealed class JtiReplayCacheTests
{
    private static ValidAssertion Assertion(string jti, TimeSpan lifetime, string? client = null) => new(client ?? Payments.ToString(), jti, T0 + lifetime);

    [Fact]
    public void A_replayed_jti_is_refused_within_its_lifetime()
    {
        var cache = new JtiReplayCache();

        Assert.True(cache.TryUse(Assertion("j1", TimeSpan.FromMinutes(1)), T0, out _));
        Assert.False(cache.TryUse(Assertion("j1", TimeSpan.FromMinutes(1)), T0 + TimeSpan.FromSeconds(59), out var full));
        Assert.False(full);
    }

    [Fact]
    public void A_replay_that_claims_a_later_expiry_is_still_refused()
    {
        var cache = new JtiReplayCache();
        cache.TryUse(Assertion("j1", TimeSpan.FromMinutes(1)), T0, out _);

        Assert.False(cache.TryUse(Assertion("j1", TimeSpan.FromMinutes(5)), T0 + TimeSpan.FromSeconds(30), out _));
    }

    [Fact]
    public void A_client_that_fills_its_own_share_is_refused_and_the_others_are_not()
    {
        var cache = new JtiReplayCache(capacity: 100, perClient: 3);
        for (var n = 0; n < 3; n++)
        {
            Assert.True(cache.TryUse(Assertion($"flood-{n}", TimeSpan.FromMinutes(5)), T0, out _));
        }

        Assert.False(cache.TryUse(Assertion("flood-3", TimeSpan.FromMinutes(5)), T0, out var full));
        Assert.True(full);
        Assert.True(cache.TryUse(Assertion("j1", TimeSpan.FromMinutes(1), Victim.ToString()), T0, out _));
        // Its share frees as its assertions expire.
        Assert.True(cache.TryUse(Assertion("flood-4", TimeSpan.FromMinutes(10)), T0 + TimeSpan.FromMinutes(6), out _));
    }

    [Fact]
    public void The_same_jti_from_two_clients_is_two_assertions()
    {
        var cache = new JtiReplayCache();

        Assert.True(cache.TryUse(Assertion("j1", TimeSpan.FromMinutes(1)), T0, out _));
        Assert.True(cache.TryUse(Assertion("j1", TimeSpan.FromMinutes(1), Victim.ToString()), T0, out _));
    }

    [Fact]
    public void An_expired_jti_is_forgotten_and_its_memory_freed()
    {
        var cache = new JtiReplayCache();
        cache.TryUse(Assertion("j1", TimeSpan.FromMinutes(1)), T0, out _);
        cache.TryUse(Assertion("j2", TimeSpan.FromMinutes(5)), T0, out _);

        cache.TryUse(Assertion("j3", TimeSpan.FromMinutes(5)), T0 + TimeSpan.FromMinutes(1), out _);

        Assert.Equal(2, cache.Count);
    }

    [Fact]
    public void A_full_memory_refuses_new_assertions_rather_than_forgetting_live_ones()
    {
        var cache = new JtiReplayCache(capacity: 2);
        cache.TryUse(Assertion("j1", TimeSpan.FromMinutes(1)), T0, out _);
        cache.TryUse(Assertion("j2", TimeSpan.FromMinutes(1)), T0, out _);

        Assert.False(cache.TryUse(Assertion("j3", TimeSpan.FromMinutes(1)), T0, out var full));
        Assert.True(full);
        Assert.False(cache.TryUse(Assertion("j1", TimeSpan.FromMinutes(1)), T0, out _));
        Assert.True(cache.TryUse(Assertion("j3", TimeSpan.FromMinutes(2)), T0 + TimeSpan.FromMinutes(1), out _));
    }
}
