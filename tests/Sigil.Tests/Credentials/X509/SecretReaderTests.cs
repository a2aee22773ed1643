using System.Text;
using k8s.Models;
using Sigil.Identity;
using Sigil.Credentials.X509;
using Sigil.Tests.Support;

namespace Sigil.Tests.Credentials.X509;

public sealed class SecretReaderTests
{
    private static readonly SpiffeId Payments = new("cluster.local", "shop", "payments");
    private static readonly DesiredCertificate Desired = new("payments-svid", TimeSpan.FromHours(24), TimeSpan.FromHours(8), KeyAlgorithm.Ed25519, []);

    private static V1Secret Secret(IssuedSvid svid, string keyPem) => new()
    {
        Metadata = new V1ObjectMeta { Name = "payments-svid" },
        Type = "kubernetes.io/tls",
        Data = new Dictionary<string, byte[]>
        {
            ["tls.crt"] = Encoding.ASCII.GetBytes(svid.CertificateChainPem),
            ["tls.key"] = Encoding.ASCII.GetBytes(keyPem),
            ["ca.crt"] = Encoding.ASCII.GetBytes(svid.TrustBundlePem),
        },
    };

    private static ReissueDecision? Decide(CertificateAuthority ca, V1Secret secret) => ReissuePolicy.Evaluate(new CertificateInput(
        Payments, Desired, SecretReader.Read(secret), IssuerView.Single(ca.KeyIdHex, ca.NotAfter), null, DateTimeOffset.UtcNow));

    [Fact]
    public void A_Secret_holding_the_PKCS8_v2_Ed25519_key_an_earlier_version_wrote_is_reissued_once_then_left_alone()
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var issuer = new SvidIssuer(ca, TimeProvider.System);
        var before = issuer.Issue(new SvidRequest(Payments, [], KeyAlgorithm.Ed25519, Desired.Ttl));
        var earlier = Secret(before, EarlierSigil.Ed25519KeyAsPkcs8V2(before.PrivateKeyPem));

        var stored = SecretReader.Read(earlier);
        var first = Decide(ca, earlier);
        var after = issuer.Issue(new SvidRequest(Payments, [], KeyAlgorithm.Ed25519, Desired.Ttl));
        var second = Decide(ca, Secret(after, after.PrivateKeyPem));

        Assert.True(stored.KeyMatchesCertificate);
        Assert.False(stored.KeyReadableEverywhere);
        Assert.Equal(ReissueReasons.KeyEncodingOutdated, first?.Reason);
        Assert.Null(second);
    }

    public static TheoryData<KeyAlgorithm> Algorithms => [.. Enum.GetValues<KeyAlgorithm>()];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void A_Secret_Sigil_writes_now_has_a_key_every_consumer_can_read(KeyAlgorithm algorithm)
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var svid = new SvidIssuer(ca, TimeProvider.System).Issue(new SvidRequest(Payments, [], algorithm, Desired.Ttl));

        var stored = SecretReader.Read(Secret(svid, svid.PrivateKeyPem));

        Assert.True(stored.KeyMatchesCertificate);
        Assert.True(stored.KeyReadableEverywhere);
    }

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void The_facts_remembered_at_issuance_are_the_facts_decoding_the_Secret_finds(KeyAlgorithm algorithm)
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var svid = new SvidIssuer(ca, TimeProvider.System).Issue(new SvidRequest(Payments, ["payments.shop.svc", "payments"], algorithm, Desired.Ttl));
        var decoded = SecretReader.Read(Secret(svid, svid.PrivateKeyPem));

        var written = Secret(svid, svid.PrivateKeyPem);
        SecretReader.RememberIssued(written, svid.Facts);
        var remembered = SecretReader.Read(written);

        Assert.Equal(Describe(decoded), Describe(remembered));
        Assert.Equal(decoded with { Facts = null }, remembered with { Facts = null });
    }

    [Fact]
    public void A_Secret_whose_key_is_not_the_one_issued_is_decoded_not_taken_from_what_was_remembered()
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var issuer = new SvidIssuer(ca, TimeProvider.System);
        var svid = issuer.Issue(new SvidRequest(Payments, [], KeyAlgorithm.ECDSAP256, Desired.Ttl));
        var other = issuer.Issue(new SvidRequest(Payments, [], KeyAlgorithm.ECDSAP256, Desired.Ttl));
        SecretReader.RememberIssued(Secret(svid, svid.PrivateKeyPem), svid.Facts);

        var swapped = SecretReader.Read(Secret(svid, other.PrivateKeyPem));

        Assert.False(swapped.KeyMatchesCertificate);
        Assert.Equal(ReissueReasons.KeyMismatch, ReissuePolicy.Evaluate(new CertificateInput(
            Payments, Desired with { KeyAlgorithm = KeyAlgorithm.ECDSAP256 }, swapped, IssuerView.Single(ca.KeyIdHex, ca.NotAfter), null, DateTimeOffset.UtcNow))?.Reason);
    }

    [Fact]
    public void What_was_remembered_at_issuance_is_used_for_the_write_and_its_watch_event_then_forgotten()
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var svid = new SvidIssuer(ca, TimeProvider.System).Issue(new SvidRequest(Payments, [], KeyAlgorithm.ECDSAP256, Desired.Ttl));
        // Facts no decode of this certificate gives: a read that returns them took them from memory.
        var marked = svid.Facts with { SerialNumber = "remembered" };
        SecretReader.RememberIssued(Secret(svid, svid.PrivateKeyPem), marked);

        var record = SecretReader.Read(Secret(svid, svid.PrivateKeyPem));
        var watchEvent = SecretReader.Read(Secret(svid, svid.PrivateKeyPem));
        var later = SecretReader.Read(Secret(svid, svid.PrivateKeyPem));

        Assert.Equal("remembered", record.Facts!.SerialNumber);
        Assert.Equal("remembered", watchEvent.Facts!.SerialNumber);
        Assert.Equal(svid.Facts.SerialNumber, later.Facts!.SerialNumber);
    }

    [Fact]
    public void What_was_remembered_for_a_write_that_failed_is_forgotten()
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var svid = new SvidIssuer(ca, TimeProvider.System).Issue(new SvidRequest(Payments, [], KeyAlgorithm.ECDSAP256, Desired.Ttl));
        var secret = Secret(svid, svid.PrivateKeyPem);
        SecretReader.RememberIssued(secret, svid.Facts);

        SecretReader.ForgetIssued(secret);

        Assert.False(SecretReader.Remembers(secret));
    }

    private static string Describe(StoredCertificate stored) => System.Text.Json.JsonSerializer.Serialize(stored.Facts);
}
