namespace Sigil.Client.Tests;

/// <summary>Who an authorizer lets in, written from the attacker's side: names that look like the allowed one.</summary>
public sealed class SpiffeIdAuthorizerTests
{
    private static readonly SpiffeIdAuthorizer ExactShop = SpiffeIdAuthorizer.Exact(SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/payments"));
    private static readonly SpiffeIdAuthorizer OneOfShop = SpiffeIdAuthorizer.OneOf(
        SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/payments"), SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/orders"));
    private static readonly SpiffeIdAuthorizer MemberOfCluster = SpiffeIdAuthorizer.MemberOf("cluster.local");

    public static TheoryData<string, string, string, bool> Cases => new()
    {
        // sentence, authorizer, peer, allowed
        { "the exact ID is allowed", "exact", "spiffe://cluster.local/ns/shop/sa/payments", true },
        { "the same path in another trust domain is refused", "exact", "spiffe://evil.example/ns/shop/sa/payments", false },
        { "a trust domain that starts with ours is refused", "exact", "spiffe://cluster.local.evil/ns/shop/sa/payments", false },
        { "a namespace that starts with ours is refused", "exact", "spiffe://cluster.local/ns/shopping/sa/payments", false },
        { "a service account that starts with ours is refused", "exact", "spiffe://cluster.local/ns/shop/sa/payments-admin", false },
        { "a longer path under ours is refused", "exact", "spiffe://cluster.local/ns/shop/sa/payments/extra", false },
        { "a path case variant is refused", "exact", "spiffe://cluster.local/ns/shop/sa/Payments", false },
        { "the trust domain's own ID is refused", "exact", "spiffe://cluster.local", false },
        { "each of a set is allowed", "oneOf", "spiffe://cluster.local/ns/shop/sa/orders", true },
        { "a name outside the set is refused", "oneOf", "spiffe://cluster.local/ns/shop/sa/ordersx", false },
        { "a set member in another trust domain is refused", "oneOf", "spiffe://other.local/ns/shop/sa/orders", false },
        { "any member of the trust domain is allowed", "memberOf", "spiffe://cluster.local/ns/anything/sa/at-all", true },
        { "a trust domain with ours as a prefix is not a member", "memberOf", "spiffe://cluster.local.evil/ns/shop/sa/payments", false },
        { "a trust domain with ours as a suffix is not a member", "memberOf", "spiffe://evil-cluster.local/ns/shop/sa/payments", false },
        { "a subdomain of ours is not a member", "memberOf", "spiffe://x.cluster.local/ns/shop/sa/payments", false },
        { "Any allows another trust domain (the bundle is what limits it)", "any", "spiffe://other.example/x", true },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void An_authorizer(string sentence, string authorizer, string peer, bool allowed)
    {
        var chosen = authorizer switch
        {
            "exact" => ExactShop,
            "oneOf" => OneOfShop,
            "memberOf" => MemberOfCluster,
            _ => SpiffeIdAuthorizer.Any(),
        };

        Assert.True(chosen.IsAuthorized(SpiffeId.Parse(peer)) == allowed, sentence);
    }

    [Theory]
    [InlineData("Cluster.local")]
    [InlineData("cluster.local/ns/shop")]
    [InlineData("")]
    [InlineData("spiffe://cluster.local")]
    public void MemberOf_refuses_what_is_not_a_trust_domain_name(string trustDomain) =>
        Assert.Throws<ArgumentException>(() => SpiffeIdAuthorizer.MemberOf(trustDomain));

    [Fact]
    public void OneOf_an_empty_set_is_refused_rather_than_refusing_every_peer() =>
        Assert.Throws<ArgumentException>(() => SpiffeIdAuthorizer.OneOf());

    [Fact]
    public void An_authorizer_describes_what_it_allows_for_error_messages() =>
        Assert.Equal("one of spiffe://cluster.local/ns/shop/sa/orders, spiffe://cluster.local/ns/shop/sa/payments", OneOfShop.ToString());
}
