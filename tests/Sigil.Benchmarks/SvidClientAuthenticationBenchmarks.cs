using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using BenchmarkDotNet.Attributes;
using Sigil.Identity;
using Sigil.Issuer.Token.ClientAuthentication;

namespace Sigil.Benchmarks;

/// <summary>
/// The per-request cost of the two SVID client authentication methods, without HTTP or TLS: the chain build against the
/// bundle (tls_client_auth) and, for private_key_jwt, parsing, x5c, the chain build and the signature check. Compare with
/// the token endpoint's 5,000 tokens/s per core target (200 us per token for everything).
/// dotnet run -c Release --project tests/Sigil.Benchmarks -- --filter '*SvidClientAuthentication*'
/// </summary>
[MemoryDiagnoser]
public class SvidClientAuthenticationBenchmarks
{
    private const string Issuer = "https://sigil.sigil-system.svc:8443";
    private CertificateAuthority _ca = null!;
    private X509Certificate2 _leaf = null!;
    private IReadOnlyList<X509Certificate2> _trusted = null!;
    private string _assertion = null!;
    private readonly TrustedChainMemo _memo = new();

    [Params(KeyAlgorithm.ECDSAP256, KeyAlgorithm.RSA2048)]
    public KeyAlgorithm Algorithm { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        var svid = new SvidIssuer(_ca, TimeProvider.System).Issue(new SvidRequest(new SpiffeId("cluster.local", "shop", "payments"), [], Algorithm, TimeSpan.FromHours(24)));
        _leaf = X509Certificate2.CreateFromPem(svid.CertificateChainPem, svid.PrivateKeyPem);
        _trusted = [_ca.Anchor];
        var id = svid.Facts.UriNames[0];
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        var header = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object>
        {
            ["alg"] = Algorithm == KeyAlgorithm.ECDSAP256 ? "ES256" : "RS256",
            ["x5c"] = new[] { Convert.ToBase64String(_leaf.RawData) },
        });
        // Valid for the 5 minutes allowed: a run longer than that would measure refusals.
        var payload = JsonSerializer.SerializeToUtf8Bytes(new Dictionary<string, object> { ["iss"] = id, ["sub"] = id, ["aud"] = Issuer, ["iat"] = now, ["exp"] = now + 300, ["jti"] = "j" });
        var input = Base64Url.EncodeToString(header) + "." + Base64Url.EncodeToString(payload);
        var bytes = Encoding.ASCII.GetBytes(input);
        var signature = Algorithm == KeyAlgorithm.ECDSAP256
            ? _leaf.GetECDsaPrivateKey()!.SignData(bytes, HashAlgorithmName.SHA256)
            : _leaf.GetRSAPrivateKey()!.SignData(bytes, HashAlgorithmName.SHA256, RSASignaturePadding.Pkcs1);
        _assertion = input + "." + Base64Url.EncodeToString(signature);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _leaf.Dispose();
        _ca.Dispose();
    }

    [Benchmark]
    public bool TlsClientAuthCertificate() => SvidClientCertificateValidator.Validate(_leaf, [], _trusted, "cluster.local", DateTimeOffset.UtcNow).Accepted;

    /// <summary>A client coming back: its chain is remembered for this bundle, the leaf checks still run.</summary>
    [Benchmark]
    public bool TlsClientAuthCertificateRemembered() => SvidClientCertificateValidator.Validate(_leaf, [], _trusted, "cluster.local", DateTimeOffset.UtcNow, _memo).Accepted;

    [Benchmark]
    public bool PrivateKeyJwtAssertionRemembered() =>
        ClientAssertionValidator.Validate(_assertion, null, new AssertionAudiences(Issuer, Issuer + "/oauth2/token"), _trusted, "cluster.local", DateTimeOffset.UtcNow, _memo).Assertion is not null;

    [Benchmark]
    public bool PrivateKeyJwtAssertion() =>
        ClientAssertionValidator.Validate(_assertion, null, new AssertionAudiences(Issuer, Issuer + "/oauth2/token"), _trusted, "cluster.local", DateTimeOffset.UtcNow).Assertion is not null;
}
