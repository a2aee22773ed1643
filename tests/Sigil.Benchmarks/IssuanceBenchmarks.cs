using BenchmarkDotNet.Attributes;
using Sigil.Identity;

namespace Sigil.Benchmarks;

/// <summary>One SVID issuance: key generation, certificate building and signing, PEM encoding (PRODUCT.md target: 5,000/s for P-256 on one core).</summary>
[MemoryDiagnoser]
public class IssuanceBenchmarks
{
    private CertificateAuthority _ca = null!;
    private SvidIssuer _issuer = null!;
    private SvidRequest _request = null!;

    [Params(KeyAlgorithm.ECDSAP256, KeyAlgorithm.Ed25519)]
    public KeyAlgorithm Algorithm { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _ca = CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);
        _issuer = new SvidIssuer(_ca, TimeProvider.System);
        _request = new SvidRequest(new SpiffeId("cluster.local", "shop", "payments"), ["payments.shop.svc"], Algorithm, TimeSpan.FromHours(24));
    }

    [GlobalCleanup]
    public void Cleanup() => _ca.Dispose();

    [Benchmark]
    public IssuedSvid Issue() => _issuer.Issue(_request);
}
