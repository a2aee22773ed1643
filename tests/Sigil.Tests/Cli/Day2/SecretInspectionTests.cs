using System.Buffers.Text;
using System.Text;
using k8s.Models;
using Microsoft.Extensions.Time.Testing;
using Sigil.Cli.Day2;
using Sigil.Identity;

namespace Sigil.Tests.Cli.Day2;

/// <summary>What `sigil inspect secret` makes of each kind of Secret, and the checks it runs (pure).</summary>
public sealed class SecretInspectionTests
{
    private static readonly DateTimeOffset Now = new(2026, 12, 1, 12, 0, 0, TimeSpan.Zero);
    private static readonly FakeTimeProvider Clock = new(Now);
    private static readonly SpiffeId Payments = new("cluster.local", "shop", "payments");

    public static TheoryData<string, string?, string[], string?> Kinds => new()
    {
        { "a TLS Secret is an SVID", "kubernetes.io/tls", ["tls.crt", "tls.key", "ca.crt"], "x509" },
        { "an Opaque Secret with tls.crt is read as a certificate too", "Opaque", ["tls.crt"], "x509" },
        { "keys.json is a receiver's verifiers", "Opaque", ["keys.json"], "verifiers" },
        { "api-key is a caller's key", "Opaque", ["api-key", "key-id", "hmac-secret"], "apiKey" },
        { "client-id is an OAuth 2.0 client", "Opaque", ["client-id", "client-secret", "token-endpoint"], "oauth2" },
        { "keys that all end in .jwt are JWT-SVIDs", "Opaque", ["orders.jwt", "vault.jwt"], "jwt" },
        { "a .jwt key beside others is not a JWT-SVID Secret", "Opaque", ["orders.jwt", "password"], null },
        { "an empty Secret is nothing Sigil writes", "Opaque", [], null },
        { "a docker config is nothing Sigil writes", "kubernetes.io/dockerconfigjson", [".dockerconfigjson"], null },
    };

    [Theory]
    [MemberData(nameof(Kinds))]
    public void The_kind_is_told_from_the_type_and_data_keys(string because, string? type, string[] keys, string? kind) =>
        Assert.True(SecretInspection.KindOf(type, keys) == kind, $"{because}: got {SecretInspection.KindOf(type, keys)}");

    private static V1Secret Svid(IssuedSvid svid, string? keyPem = null) => new()
    {
        Metadata = new V1ObjectMeta { Name = "payments-svid", NamespaceProperty = "shop" },
        Type = "kubernetes.io/tls",
        Data = new Dictionary<string, byte[]>
        {
            ["tls.crt"] = Encoding.ASCII.GetBytes(svid.CertificateChainPem),
            ["tls.key"] = Encoding.ASCII.GetBytes(keyPem ?? svid.PrivateKeyPem),
            ["ca.crt"] = Encoding.ASCII.GetBytes(svid.TrustBundlePem),
        },
    };

    [Fact]
    public void A_sound_SVID_shows_its_SPIFFE_ID_names_and_validity_and_passes_every_check()
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", Clock);
        var svid = new SvidIssuer(ca, Clock).Issue(new SvidRequest(Payments, ["payments.shop.svc"], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(24)));

        var report = SecretInspection.Inspect(Svid(svid), ca.TrustBundlePem, Now)!;

        Assert.Empty(report.Problems);
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", report.X509!.SpiffeId);
        Assert.Equal(["payments.shop.svc"], report.X509.DnsNames);
        Assert.Equal(svid.Facts.SerialNumber, report.X509.SerialNumber);
        Assert.Equal(svid.Facts.NotAfter, report.X509.NotAfter);
        Assert.True(report.X509.ChainVerified, report.X509.ChainDetail);
        Assert.True(report.X509.KeyMatchesCertificate);
        Assert.True(report.X509.BundleCurrent);
    }

    public static TheoryData<string, Func<CertificateAuthority, CertificateAuthority, IssuedSvid, (V1Secret, string?)>, string> Unsound => new()
    {
        { "a bundle holding only another CA does not verify the chain",
            (_, other, svid) => (Svid(svid), other.TrustBundlePem), "the chain does not verify" },
        { "no trust bundle in the namespace is said, not taken as verified",
            (_, _, svid) => (Svid(svid), null), "no sigil-trust-bundle ConfigMap" },
        { "a key of another certificate does not match",
            (_, other, svid) => (Svid(svid, other.PrivateKeyPem), svid.TrustBundlePem), "tls.key does not match the certificate's public key" },
        { "a missing key is said",
            (_, _, svid) => (new V1Secret { Metadata = new V1ObjectMeta { Name = "s" }, Type = "kubernetes.io/tls", Data = new Dictionary<string, byte[]> { ["tls.crt"] = Encoding.ASCII.GetBytes(svid.CertificateChainPem) } }, svid.TrustBundlePem),
            "tls.key is missing" },
    };

    [Theory]
    [MemberData(nameof(Unsound))]
    public void An_SVID_that_fails_a_check_is_reported_with_the_reason(string because, Func<CertificateAuthority, CertificateAuthority, IssuedSvid, (V1Secret, string?)> arrange, string problem)
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", Clock);
        using var other = CertificateAuthority.CreateRoot("cluster.local", Clock);
        var svid = new SvidIssuer(ca, Clock).Issue(new SvidRequest(Payments, [], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(24)));
        var (secret, bundle) = arrange(ca, other, svid);

        var report = SecretInspection.Inspect(secret, bundle, Now)!;

        Assert.True(report.Problems.Any(p => p.Contains(problem, StringComparison.Ordinal)), $"{because}: got {string.Join(" | ", report.Problems)}");
    }

    [Fact]
    public void An_expired_certificate_is_a_problem_and_does_not_verify()
    {
        using var ca = CertificateAuthority.CreateRoot("cluster.local", Clock);
        var svid = new SvidIssuer(ca, Clock).Issue(new SvidRequest(Payments, [], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1)));

        var report = SecretInspection.Inspect(Svid(svid), ca.TrustBundlePem, Now.AddHours(2))!;

        Assert.Contains(report.Problems, p => p.StartsWith("the certificate expired at", StringComparison.Ordinal));
        Assert.False(report.X509!.ChainVerified);
    }

    private static byte[] Jwt(string header, string claims) =>
        Encoding.ASCII.GetBytes($"{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(header))}.{Base64Url.EncodeToString(Encoding.UTF8.GetBytes(claims))}.c2lnbmF0dXJl");

    [Fact]
    public void A_JWT_is_decoded_into_its_header_and_claims_and_an_expired_or_garbled_one_is_a_problem()
    {
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "payments-jwt", NamespaceProperty = "shop" },
            Data = new Dictionary<string, byte[]>
            {
                ["orders.jwt"] = Jwt("""{"alg":"ES256","kid":"k1","typ":"JWT"}""", $$"""{"sub":"spiffe://cluster.local/ns/shop/sa/payments","aud":"spiffe://cluster.local/ns/shop/sa/orders","iss":"https://sigil","iat":{{Now.AddMinutes(-10).ToUnixTimeSeconds()}},"exp":{{Now.AddMinutes(50).ToUnixTimeSeconds()}}}"""),
                ["old.jwt"] = Jwt("""{"alg":"ES256","kid":"k0","typ":"JWT"}""", $$"""{"sub":"s","aud":["a","b"],"exp":{{Now.AddMinutes(-1).ToUnixTimeSeconds()}}}"""),
                ["junk.jwt"] = "not a token"u8.ToArray(),
            },
        };

        var report = SecretInspection.Inspect(secret, null, Now)!;

        Assert.Equal("jwt", report.Kind);
        Assert.Equal(new JwtFacts("orders.jwt", "k1", "ES256", "JWT", "spiffe://cluster.local/ns/shop/sa/payments", "spiffe://cluster.local/ns/shop/sa/orders",
            "https://sigil", Now.AddMinutes(-10), Now.AddMinutes(50)), report.Jwts!.Single(j => j.Key == "orders.jwt"));
        Assert.Equal("a,b", report.Jwts!.Single(j => j.Key == "old.jwt").Audience);
        Assert.Contains("junk.jwt is not a JWT", report.Problems);
        Assert.Contains(report.Problems, p => p.StartsWith("old.jwt expired at", StringComparison.Ordinal));
    }

    [Fact]
    public void A_key_id_that_is_not_the_id_of_the_presented_key_is_a_problem()
    {
        var secret = new V1Secret
        {
            Metadata = new V1ObjectMeta { Name = "payments-orders-apikey", NamespaceProperty = "shop" },
            Data = new Dictionary<string, byte[]> { ["api-key"] = "sgl_aaaa_0123456789abcdef0123456789abcdef"u8.ToArray(), ["key-id"] = "bbbb"u8.ToArray() },
        };

        var report = SecretInspection.Inspect(secret, null, Now)!;

        Assert.Equal("aaaa", report.ApiKey!.KeyId);
        Assert.Contains("key-id bbbb is not the id of the key in api-key (aaaa)", report.Problems);
    }
}
