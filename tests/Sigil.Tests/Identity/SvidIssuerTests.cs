using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Sigil.Identity;
using Sigil.Tests.Support;

namespace Sigil.Tests.Identity;

public sealed class SvidIssuerTests
{
    private static readonly SpiffeId Payments = new("cluster.local", "shop", "payments");
    private static readonly FakeTimeProvider Clock = new(new DateTimeOffset(2026, 11, 27, 12, 0, 0, TimeSpan.Zero));

    private static (CertificateAuthority Ca, SvidIssuer Issuer) NewIssuer(TimeProvider? time = null)
    {
        var ca = CertificateAuthority.CreateRoot("cluster.local", time ?? Clock);
        return (ca, new SvidIssuer(ca, time ?? Clock));
    }

    private static X509Certificate2 Leaf(IssuedSvid svid) => X509Certificate2.CreateFromPem(svid.CertificateChainPem);

    public static TheoryData<KeyAlgorithm> Algorithms => [.. Enum.GetValues<KeyAlgorithm>()];

    [Theory]
    [MemberData(nameof(Algorithms))]
    public void Every_key_algorithm_gets_a_spec_conformant_SVID_that_chains_to_the_trust_bundle(KeyAlgorithm algorithm)
    {
        var (ca, issuer) = NewIssuer();
        using var _ = ca;

        var svid = issuer.Issue(new SvidRequest(Payments, [], algorithm, TimeSpan.FromHours(24)));
        using var leaf = Leaf(svid);

        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal([Payments.ToString()], svid.Facts.UriNames);
        Assert.Empty(san.EnumerateDnsNames());
        Assert.False(leaf.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        var usage = leaf.Extensions.OfType<X509KeyUsageExtension>().Single();
        Assert.True(usage.Critical);
        Assert.Equal(algorithm.IsRsa() ? X509KeyUsageFlags.DigitalSignature | X509KeyUsageFlags.KeyEncipherment : X509KeyUsageFlags.DigitalSignature, usage.KeyUsages);
        Assert.Equal(["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"], leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().Single().EnhancedKeyUsages.Cast<Oid>().Select(o => o.Value));
        Assert.NotNull(leaf.Extensions.OfType<X509SubjectKeyIdentifierExtension>().SingleOrDefault());
        Assert.NotNull(leaf.Extensions.OfType<X509AuthorityKeyIdentifierExtension>().SingleOrDefault());
        Assert.Equal(algorithm, svid.Facts.KeyAlgorithm);
        Assert.Equal(algorithm, CertificateFacts.AlgorithmOf(leaf));
        Assert.StartsWith("-----BEGIN PRIVATE KEY-----", svid.PrivateKeyPem, StringComparison.Ordinal);
        AssertChainsTo(leaf, svid.TrustBundlePem);
    }

    [Fact]
    public void The_serial_is_a_random_positive_128_bit_number_and_every_issuance_has_a_fresh_key()
    {
        var (ca, issuer) = NewIssuer();
        using var _ = ca;
        var request = new SvidRequest(Payments, [], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1));

        var first = issuer.Issue(request);
        var second = issuer.Issue(request);

        Assert.Equal(32, first.Facts.SerialNumber.Length);
        Assert.True(Convert.FromHexString(first.Facts.SerialNumber)[0] < 0x80);
        Assert.NotEqual(first.Facts.SerialNumber, second.Facts.SerialNumber);
        Assert.NotEqual(first.PrivateKeyPem, second.PrivateKeyPem);
        Assert.NotEqual(first.Facts.PublicKeySpkiSha256, second.Facts.PublicKeySpkiSha256);
    }

    [Fact]
    public void Validity_starts_a_little_in_the_past_and_lasts_the_ttl()
    {
        var (ca, issuer) = NewIssuer();
        using var _ = ca;

        var svid = issuer.Issue(new SvidRequest(Payments, ["payments.shop.svc"], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(8)));

        Assert.Equal(Clock.GetUtcNow() - SvidIssuer.ClockSkewAllowance, svid.Facts.NotBefore);
        Assert.Equal(Clock.GetUtcNow() + TimeSpan.FromHours(8), svid.Facts.NotAfter);
        Assert.Equal(["payments.shop.svc"], svid.Facts.DnsNames);
    }

    [Fact]
    public void IP_address_SANs_follow_the_DNS_names_and_a_request_without_them_carries_none()
    {
        var (ca, issuer) = NewIssuer();
        using var _ = ca;

        var withAddresses = issuer.Issue(new SvidRequest(Payments, ["sigil.ops.svc"], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1))
        {
            IpAddresses = [System.Net.IPAddress.Loopback, System.Net.IPAddress.IPv6Loopback],
        });
        var without = issuer.Issue(new SvidRequest(Payments, ["sigil.ops.svc"], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1)));
        using var leaf = Leaf(withAddresses);
        using var plain = Leaf(without);

        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["sigil.ops.svc"], san.EnumerateDnsNames());
        Assert.Equal([System.Net.IPAddress.Loopback, System.Net.IPAddress.IPv6Loopback], san.EnumerateIPAddresses());
        Assert.Empty(plain.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single().EnumerateIPAddresses());
        Assert.True(leaf.MatchesHostname("127.0.0.1"));
        Assert.False(plain.MatchesHostname("127.0.0.1"));
        AssertChainsTo(leaf, withAddresses.TrustBundlePem);
    }

    [Fact]
    public void A_certificate_never_outlives_its_CA()
    {
        var time = new FakeTimeProvider(Clock.GetUtcNow());
        var (ca, _) = NewIssuer(time);
        using var __ = ca;
        time.Advance(TimeSpan.FromDays(360));
        var issuer = new SvidIssuer(ca, time);

        var svid = issuer.Issue(new SvidRequest(Payments, [], KeyAlgorithm.ECDSAP256, TimeSpan.FromDays(30)));

        Assert.Equal(ca.NotAfter, svid.Facts.NotAfter);
    }

    [Fact]
    public void The_root_is_a_name_constrained_P256_CA_for_one_year()
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", Clock);

        Assert.True(ca.Signer.Extensions.OfType<X509BasicConstraintsExtension>().Single().CertificateAuthority);
        Assert.Equal(256, ca.Signer.GetECDsaPublicKey()!.KeySize);
        Assert.Equal(Clock.GetUtcNow().AddYears(1), ca.NotAfter);
        Assert.True(ca.Signer.Extensions["2.5.29.30"]!.Critical);
        Assert.Empty(ca.Chain);
    }

    [Fact]
    public void A_CA_loaded_back_from_its_PEM_signs_certificates_that_chain_to_the_same_root()
    {
        using var original = CertificateAuthority.CreateRoot("cluster.local", Clock);
        using var reloaded = CertificateAuthority.FromPem(original.CertificatesPem, original.PrivateKeyPem);

        var svid = new SvidIssuer(reloaded, Clock).Issue(new SvidRequest(Payments, [], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1)));
        using var leaf = Leaf(svid);

        Assert.Equal(original.TrustBundlePem, reloaded.TrustBundlePem);
        AssertChainsTo(leaf, original.TrustBundlePem);
    }

    [Fact]
    public void An_intermediate_CA_puts_its_chain_after_the_leaf_and_the_root_in_the_trust_bundle()
    {
        using var root = CertificateAuthority.CreateRoot("cluster.local", Clock);
        using var intermediateKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sigil intermediate", intermediateKey, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root.Signer, true, false));
        using var intermediate = request.Create(root.Signer, Clock.GetUtcNow().AddMinutes(-1), Clock.GetUtcNow().AddDays(90), [0x42]);
        using var ca = CertificateAuthority.FromPem(intermediate.ExportCertificatePem() + "\n" + root.Signer.ExportCertificatePem(), intermediateKey.ExportPkcs8PrivateKeyPem());

        var svid = new SvidIssuer(ca, Clock).Issue(new SvidRequest(Payments, [], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1)));
        var chain = new X509Certificate2Collection();
        chain.ImportFromPem(svid.CertificateChainPem);

        Assert.Equal(2, chain.Count);
        Assert.Equal(intermediate.Thumbprint, chain[1].Thumbprint);
        Assert.Equal(root.TrustBundlePem, svid.TrustBundlePem);
        using var leaf = Leaf(svid);
        AssertChainsTo(leaf, svid.TrustBundlePem, chain[1]);
    }

    [Fact]
    public void A_CA_without_a_subject_key_identifier_still_names_itself_consistently_in_every_leaf()
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=no ski", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        using var root = request.CreateSelfSigned(Clock.GetUtcNow().AddMinutes(-5), Clock.GetUtcNow().AddYears(1));
        using var ca = CertificateAuthority.FromPem(root.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());

        var svid = new SvidIssuer(ca, Clock).Issue(new SvidRequest(Payments, [], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1)));
        using var leaf = Leaf(svid);

        Assert.Equal(Convert.ToHexStringLower(ca.KeyIdentifier), svid.Facts.IssuerKeyId);
        Assert.Equal(svid.Facts.IssuerKeyId, CertificateFacts.Of(leaf).IssuerKeyId);
        AssertChainsTo(leaf, svid.TrustBundlePem);
    }

    [Fact]
    public async Task Real_openssl_verifies_the_SVID_against_its_trust_bundle()
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var svid = new SvidIssuer(ca, TimeProvider.System).Issue(new SvidRequest(Payments, ["payments.shop.svc"], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1)));
        var folder = Directory.CreateTempSubdirectory("sigil-openssl-").FullName;
        try
        {
            await File.WriteAllTextAsync(Path.Combine(folder, "ca.crt"), svid.TrustBundlePem);
            await File.WriteAllTextAsync(Path.Combine(folder, "tls.crt"), svid.CertificateChainPem);

            var verify = await ProcessRunner.RunAsync("openssl", ["verify", "-CAfile", "ca.crt", "tls.crt"], workingDirectory: folder);
            var text = await ProcessRunner.RunAsync("openssl", ["x509", "-in", "tls.crt", "-noout", "-text"], workingDirectory: folder);

            Assert.True(verify.ExitCode == 0, verify.Output);
            Assert.Contains("tls.crt: OK", verify.Stdout, StringComparison.Ordinal);
            Assert.Contains("URI:spiffe://cluster.local/ns/shop/sa/payments", text.Stdout, StringComparison.Ordinal);
            Assert.Contains("CA:FALSE", text.Stdout, StringComparison.Ordinal);
            Assert.Contains("TLS Web Server Authentication, TLS Web Client Authentication", text.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    internal static void AssertChainsTo(X509Certificate2 leaf, string trustBundlePem, params X509Certificate2[] intermediates)
    {
        using var chain = new X509Chain();
        chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        chain.ChainPolicy.VerificationTime = leaf.NotBefore.AddMinutes(2);
        chain.ChainPolicy.CustomTrustStore.ImportFromPem(trustBundlePem);
        chain.ChainPolicy.ExtraStore.AddRange(intermediates);
        Assert.True(chain.Build(leaf), string.Join("; ", chain.ChainStatus.Select(s => s.StatusInformation)));
    }
}
