using System.Net;
using Sigil.Issuer.Token;

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
}
