namespace Sigil.Client.Tests;

public sealed class SpiffeIdTests
{
    [Theory]
    [InlineData("spiffe://cluster.local/ns/shop/sa/payments", "cluster.local", "/ns/shop/sa/payments")]
    [InlineData("spiffe://example.org", "example.org", "")]
    public void A_valid_id_parses_into_its_trust_domain_and_path(string value, string trustDomain, string path)
    {
        var id = SpiffeId.Parse(value);
        Assert.Equal((trustDomain, path, value), (id.TrustDomain, id.Path, id.ToString()));
    }

    [Theory]
    [InlineData("https://cluster.local/ns/shop/sa/payments")]
    [InlineData("spiffe://Cluster.local/ns/shop")]
    [InlineData("spiffe://cluster.local/ns//sa")]
    [InlineData("spiffe://cluster.local/ns/../sa")]
    [InlineData("spiffe://cluster.local/ns/shop?x=1")]
    [InlineData("spiffe://cluster.local:443/ns/shop")]
    [InlineData("spiffe://user@cluster.local/ns/shop")]
    [InlineData("spiffe://cluster.local/ns/shop/")]
    [InlineData("spiffe:///ns/shop")]
    public void An_id_the_spec_forbids_does_not_parse(string value) => Assert.False(SpiffeId.TryParse(value, out _));
}

public sealed class SpiffeIdEqualityTests
{
    [Fact]
    public void Two_parses_of_one_ID_are_equal_and_hash_alike()
    {
        var a = SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/payments");
        var b = SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/payments");
        Assert.Equal(a, b);
        Assert.Equal(a.GetHashCode(), b.GetHashCode());
        Assert.NotEqual(a, SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/Payments"));
    }

    [Theory]
    [InlineData("spiffe://cluster.local/ns/shop%2Fsa/x")]
    [InlineData("spiffe://cluster.local/ns/shop#frag")]
    [InlineData("spiffe://cluster.local/ns/sh op")]
    [InlineData("SPIFFE://cluster.local/ns/shop")]
    [InlineData("spiffe://cluster.local\u0000/ns/shop")]
    public void Spellings_an_attacker_would_try_do_not_parse(string value) => Assert.False(SpiffeId.TryParse(value, out _));

    [Fact]
    public void IDs_longer_than_the_specification_allows_do_not_parse()
    {
        Assert.True(SpiffeId.TryParse("spiffe://" + new string('a', 255) + "/x", out _));
        Assert.False(SpiffeId.TryParse("spiffe://" + new string('a', 256) + "/x", out _));
        Assert.True(SpiffeId.TryParse("spiffe://td/" + new string('a', 2048 - "spiffe://td/".Length), out _));
        Assert.False(SpiffeId.TryParse("spiffe://td/" + new string('a', 2049 - "spiffe://td/".Length), out _));
    }

    [Fact]
    public void Parse_says_what_is_wrong_without_accepting() =>
        Assert.Contains("spiffe://", Assert.Throws<FormatException>(() => SpiffeId.Parse("https://x")).Message, StringComparison.Ordinal);
}
