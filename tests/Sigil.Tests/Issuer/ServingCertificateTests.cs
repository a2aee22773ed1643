using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;
using Sigil.Authority;
using Sigil.Identity;
using Sigil.Issuer;

namespace Sigil.Tests.Issuer;

/// <summary>The issuer's certificate under simulated time: kept while fresh, renewed at two thirds, replaced when another CA signs.</summary>
public sealed class ServingCertificateTests
{
    private static readonly ServingNames Names = ServingNames.For("cluster.local", "ops", "cluster.local", "https://127.0.0.1:8443");

    [Fact]
    public void It_is_issued_once_kept_while_fresh_and_renewed_at_two_thirds_of_its_lifetime()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero));
        using var ca = CertificateAuthority.CreateRoot("cluster.local", time);
        var trust = new TrustSnapshot(new AuthorityState(ca, null, null, null, false, [], null, 1), time, TimeSpan.FromMinutes(10));
        var certificate = new ServingCertificate(() => trust, Names, time, NullLogger.Instance);

        var first = certificate.Current();
        var firstSerial = certificate.Facts!.SerialNumber;
        time.Advance(TimeSpan.FromHours(15));
        var stillFirst = certificate.Current();
        time.Advance(TimeSpan.FromHours(1));
        var renewed = certificate.Current();

        Assert.Same(first, stillFirst);
        Assert.NotSame(first, renewed);
        Assert.NotEqual(firstSerial, certificate.Facts.SerialNumber);
        Assert.Equal(time.GetUtcNow() + ServingCertificatePolicy.Lifetime, certificate.Facts.NotAfter);
    }

    [Fact]
    public void A_new_signing_CA_replaces_it_at_the_next_handshake_and_the_served_chain_is_the_leaf_and_its_intermediates()
    {
        var time = new FakeTimeProvider(new DateTimeOffset(2026, 11, 30, 0, 0, 0, TimeSpan.Zero));
        using var first = CertificateAuthority.CreateRoot("cluster.local", time);
        using var second = CertificateAuthority.CreateRoot("cluster.local", time);
        var trust = new TrustSnapshot(new AuthorityState(first, null, null, null, false, [], null, 1), time, TimeSpan.FromMinutes(10));
        var certificate = new ServingCertificate(() => trust, Names, time, NullLogger.Instance);

        var before = certificate.Current();
        trust = new TrustSnapshot(new AuthorityState(second, null, null, null, false, [], null, 2), time, TimeSpan.FromMinutes(10));
        var after = certificate.Current();

        Assert.Equal(first.KeyIdHex, CertificateFacts.Of(before.TargetCertificate).IssuerKeyId);
        Assert.Equal(second.KeyIdHex, CertificateFacts.Of(after.TargetCertificate).IssuerKeyId);
        Assert.True(after.TargetCertificate.HasPrivateKey);
        // A root signs here: nothing sits between it and the leaf, and the root itself is never sent.
        Assert.Empty(after.IntermediateCertificates);
    }
}
