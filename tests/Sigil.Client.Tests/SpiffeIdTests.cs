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
