using System.Net;
using Sigil.Issuer.Token;
using Sigil.Tests.Support;

namespace Sigil.Tests.Issuer.Token;

/// <summary>The token buckets behind the endpoint's 429s.</summary>
public sealed class TokenRateLimitsTests
{
    [Fact]
    public void An_address_is_blocked_once_it_has_spent_its_refusals_and_others_are_not()
    {
        using var limits = new TokenRateLimits(new TokenLimits(RefusalsPerAddressPerSecond: 0.1, RefusalBurst: 3));
        var attacker = IPAddress.Parse("10.0.0.1");

        var before = Enumerable.Range(0, 3).Select(_ =>
        {
            var blocked = limits.AddressBlocked(attacker);
            limits.Refused(attacker);
            return blocked;
        }).ToList();

        // The bucket refills in fractions every 100 ms; a fraction of a refusal must not unblock the address.
        Thread.Sleep(250);

        Assert.All(before, b => Assert.Null(b));
        Assert.NotNull(limits.AddressBlocked(attacker));
        Assert.True(limits.AddressBlocked(attacker) >= TimeSpan.FromSeconds(1));
        Assert.Null(limits.AddressBlocked(IPAddress.Parse("10.0.0.2")));
    }

    [Fact]
    public void A_client_gets_its_burst_then_waits_and_another_client_is_unaffected()
    {
        using var limits = new TokenRateLimits(new TokenLimits(TokensPerClientPerSecond: 0.1, ClientBurst: 2));

        Assert.Null(limits.ClientLimited("spiffe://cluster.local/ns/a/sa/x"));
        Assert.Null(limits.ClientLimited("spiffe://cluster.local/ns/a/sa/x"));
        Assert.NotNull(limits.ClientLimited("spiffe://cluster.local/ns/a/sa/x"));
        Assert.Null(limits.ClientLimited("spiffe://cluster.local/ns/a/sa/y"));
    }

    [Fact]
    public async Task A_spent_bucket_refills_so_a_client_and_an_address_are_served_again()
    {
        using var limits = new TokenRateLimits(new TokenLimits(TokensPerClientPerSecond: 20, ClientBurst: 1, RefusalsPerAddressPerSecond: 20, RefusalBurst: 1));
        var address = IPAddress.Parse("10.0.0.3");
        Assert.Null(limits.ClientLimited("spiffe://cluster.local/ns/a/sa/x"));
        Assert.NotNull(limits.ClientLimited("spiffe://cluster.local/ns/a/sa/x"));
        limits.Refused(address);
        Assert.NotNull(limits.AddressBlocked(address));

        // The partitioned limiter replenishes every partition from its own timer (no timer per client or address).
        await Eventually.TrueAsync(() => Task.FromResult(limits.AddressBlocked(address) is null), TimeSpan.FromSeconds(5), "the address's bucket never refilled");
        await Eventually.TrueAsync(() => Task.FromResult(limits.ClientLimited("spiffe://cluster.local/ns/a/sa/x") is null), TimeSpan.FromSeconds(5), "the client's bucket never refilled");
    }
}
