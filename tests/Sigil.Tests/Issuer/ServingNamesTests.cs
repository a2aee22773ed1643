using System.Net;
using Sigil.Issuer;

namespace Sigil.Tests.Issuer;

public sealed class ServingNamesTests
{
    private static readonly string[] ServiceNames = ["sigil", "sigil.ops", "sigil.ops.svc", "sigil.ops.svc.cluster.local"];

    public static TheoryData<string, string, string[], string[]> Cases => new()
    {
        { "the default URL names the Service, which is already covered", "https://sigil.ops.svc:8443", ServiceNames, [] },
        { "an IPv4 address is an IP SAN, not a DNS name", "https://127.0.0.1:8443", ServiceNames, ["127.0.0.1"] },
        { "an IPv6 address is an IP SAN", "https://[::1]:9443", ServiceNames, ["::1"] },
        { "a public host name is added as a DNS name", "https://issuer.example.com", [.. ServiceNames, "issuer.example.com"], [] },
        { "a host name in capitals is added once, lowercase", "https://Issuer.Example.COM/sigil", [.. ServiceNames, "issuer.example.com"], [] },
        { "an internationalized host is added as its A-label", "https://bücher.example", [.. ServiceNames, "xn--bcher-kva.example"], [] },
    };

    [Theory]
    [MemberData(nameof(Cases))]
    public void The_issuer_certificate_names_its_Service_and_the_host_of_the_issuer_URL(string because, string issuerUrl, string[] dns, string[] ips)
    {
        var names = ServingNames.For("example.org", "ops", "cluster.local", issuerUrl);

        Assert.True(dns.SequenceEqual(names.DnsNames), $"{because}: {string.Join(",", names.DnsNames)}");
        Assert.Equal(ips.Select(IPAddress.Parse), names.IpAddresses);
        Assert.Equal("spiffe://example.org/ns/ops/sa/sigil", names.SpiffeId.ToString());
    }

    [Fact]
    public void The_request_carries_the_IP_SANs_and_asks_for_a_P256_key()
    {
        var request = ServingNames.For("cluster.local", "ops", "cluster.local", "https://127.0.0.1:8443").Request(TimeSpan.FromHours(24));

        Assert.Equal([IPAddress.Loopback], request.IpAddresses);
        Assert.Equal(Sigil.Identity.KeyAlgorithm.ECDSAP256, request.KeyAlgorithm);
    }
}
