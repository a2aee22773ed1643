using k8s.Models;
using Sigil.Api;
using Sigil.Identity;
using Sigil.Reconciliation;

namespace Sigil.Tests.Reconciliation;

public sealed class SpecResolverTests
{
    private static ServiceIdentity Identity(X509Spec? x509, string? serviceAccount = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "payments", NamespaceProperty = "shop" },
        Spec = new ServiceIdentitySpec { ServiceAccountName = serviceAccount, X509 = x509 },
    };

    [Fact]
    public void Defaults_follow_the_product_contract()
    {
        var desired = SpecResolver.Resolve(Identity(new X509Spec()), "cluster.local");

        Assert.Null(desired.Invalid);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", desired.SpiffeId.ToString());
        Assert.Equal(new DesiredCertificate("payments-svid", TimeSpan.FromHours(24), TimeSpan.FromHours(8), KeyAlgorithm.ECDSAP256, []),
            desired.Certificate! with { DnsNames = [] });
    }

    [Fact]
    public void The_SPIFFE_ID_always_uses_the_identitys_own_namespace()
    {
        var desired = SpecResolver.Resolve(Identity(null, serviceAccount: "frontend"), "example.org");

        Assert.Equal("spiffe://example.org/ns/shop/sa/frontend", desired.SpiffeId.ToString());
        Assert.Null(desired.Certificate);
        Assert.Null(desired.Invalid);
    }

    public static TheoryData<string, X509Spec, string?, string> Invalid => new()
    {
        { "an unparsable ttl names the field and the format", new X509Spec { Ttl = "1 day" }, null, "spec.x509.ttl \"1 day\" is not a duration" },
        { "a ttl under a minute is out of range", new X509Spec { Ttl = "30s" }, null, "out of range" },
        { "a ttl over a year is out of range", new X509Spec { Ttl = "8761h" }, null, "out of range" },
        { "renewBefore must be shorter than ttl", new X509Spec { Ttl = "1h", RenewBefore = "1h" }, null, "must be shorter than ttl" },
        { "an unknown key algorithm lists the supported ones", new X509Spec { KeyAlgorithm = "DSA" }, null, "use one of ECDSAP256" },
        { "a bad DNS name is named", new X509Spec { DnsNames = ["Not_DNS"] }, null, "\"Not_DNS\" is not a DNS name" },
        { "a bad service account name is named", new X509Spec(), "Bad Name", "spec.serviceAccountName" },
    };

    [Theory]
    [MemberData(nameof(Invalid))]
    public void What_the_schema_should_have_rejected_is_reported_with_what_to_change(string because, X509Spec x509, string? serviceAccount, string messagePart)
    {
        var desired = SpecResolver.Resolve(Identity(x509, serviceAccount), "cluster.local");

        Assert.True(desired.Invalid?.Contains(messagePart, StringComparison.Ordinal) == true, $"{because}: got {desired.Invalid ?? "valid"}");
        Assert.Null(desired.Certificate);
    }

    [Theory]
    [InlineData("24h", 24 * 3600)]
    [InlineData("1h30m", 5400)]
    [InlineData("90s", 90)]
    [InlineData("720h", 720 * 3600)]
    public void Durations_read_like_Go_durations(string text, int seconds)
    {
        Assert.True(Durations.TryParse(text, out var d));
        Assert.Equal(TimeSpan.FromSeconds(seconds), d);
    }
}
