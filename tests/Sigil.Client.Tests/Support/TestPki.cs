using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Sigil.Client.Mounting;
using Sigil.Client.X509;
using Sigil.Identity;
using OperatorSpiffeId = Sigil.Identity.SpiffeId;

namespace Sigil.Client.Tests.Support;

/// <summary>
/// SVIDs from Sigil's own CA and issuer (the operator's classes, as a cluster would write them), and the certificates an
/// attacker would make instead. Patterned on Sigil.Tests' TestSvids.
/// </summary>
internal sealed class TestPki : IDisposable
{
    public const string TrustDomain = "cluster.local";

    private readonly List<IDisposable> _owned = [];

    public TestPki(DateTimeOffset? now = null)
    {
        Now = now ?? DateTimeOffset.UtcNow;
        Ours = Own(CertificateAuthority.CreateRoot(TrustDomain, new FakeTimeProvider(Now - TimeSpan.FromDays(1))));
        Stranger = Own(CertificateAuthority.CreateRoot(TrustDomain, new FakeTimeProvider(Now - TimeSpan.FromDays(1))));
    }

    public DateTimeOffset Now { get; }

    /// <summary>The CA that signs our SVIDs.</summary>
    public CertificateAuthority Ours { get; }

    /// <summary>A CA with our trust domain's name that is in no bundle of ours.</summary>
    public CertificateAuthority Stranger { get; }

    public CertificateAuthority NewCa(string trustDomain = TrustDomain) =>
        Own(CertificateAuthority.CreateRoot(trustDomain, new FakeTimeProvider(Now - TimeSpan.FromDays(1))));

    /// <summary>An SVID Secret's files (tls.crt, tls.key, ca.crt), as Sigil writes them.</summary>
    public IssuedSvid Issue(CertificateAuthority ca, string ns, string sa, string? bundlePem = null, TimeSpan? ttl = null, DateTimeOffset? at = null,
        KeyAlgorithm algorithm = KeyAlgorithm.ECDSAP256, string trustDomain = TrustDomain) =>
        new SvidIssuer(ca, new FakeTimeProvider(at ?? Now), bundlePem).Issue(
            new SvidRequest(new OperatorSpiffeId(trustDomain, ns, sa), [], algorithm, ttl ?? TimeSpan.FromHours(1)));

    public static Dictionary<string, string> Files(IssuedSvid svid) => new()
    {
        ["tls.crt"] = svid.CertificateChainPem,
        ["tls.key"] = svid.PrivateKeyPem,
        ["ca.crt"] = svid.TrustBundlePem,
    };

    /// <summary>The SVID as the library reads it from a folder.</summary>
    public static X509Svid Load(IssuedSvid svid) =>
        X509Svid.Parse(new FolderSnapshot("/mounted/svid", "v1", Files(svid).ToDictionary(f => f.Key, f => Encoding.UTF8.GetBytes(f.Value))));

    public static TrustBundle Bundle(params CertificateAuthority[] cas) =>
        TrustBundle.FromPem(string.Concat(cas.Select(c => c.TrustBundlePem)), "test bundle", TrustDomain);

    public static X509Certificate2 Leaf(IssuedSvid svid) => X509Certificate2.CreateFromPem(svid.CertificateChainPem, svid.PrivateKeyPem);

    /// <summary>A certificate built by hand (for shapes Sigil never issues), signed by <paramref name="issuer"/>'s key, or self-signed.</summary>
    public X509Certificate2 Custom(X509Certificate2? issuer, string[] uris, bool ca = false,
        X509KeyUsageFlags usage = X509KeyUsageFlags.DigitalSignature, DateTimeOffset? notBefore = null, DateTimeOffset? notAfter = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=attacker", key, HashAlgorithmName.SHA256);
        if (uris.Length > 0)
        {
            request.CertificateExtensions.Add(UriNames(uris));
        }
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var from = notBefore ?? Now - TimeSpan.FromMinutes(5);
        var until = notAfter ?? Now + TimeSpan.FromHours(1);
        if (issuer is null)
        {
            return Own(request.CreateSelfSigned(from, until));
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        // The generator signs without checking that the issuer is a CA: an attacker's tooling does not check either.
        var signer = X509SignatureGenerator.CreateForECDsa(issuer.GetECDsaPrivateKey()!);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(issuer.SubjectName, signer, from, until, serial);
        return Own(signed.CopyWithPrivateKey(key));
    }

    /// <summary>A platform root above an intermediate that signs SVIDs, as with --ca-secret: bundles hold the root only.</summary>
    public static (CertificateAuthority Intermediate, X509Certificate2 Root) PlatformIntermediate(DateTimeOffset now)
    {
        using var rootKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("O=platform, CN=platform root", rootKey, System.Security.Cryptography.HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        using var root = rootRequest.CreateSelfSigned(now - TimeSpan.FromDays(1), now + TimeSpan.FromDays(365));
        using var key = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=platform, CN=intermediate", key, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
        using var intermediate = request.Create(root, now - TimeSpan.FromHours(1), now + TimeSpan.FromDays(90), System.Security.Cryptography.RandomNumberGenerator.GetBytes(16));
        return (CertificateAuthority.FromPem(intermediate.ExportCertificatePem() + "\n" + root.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem()),
            X509CertificateLoader.LoadCertificate(root.RawData));
    }

    // SubjectAlternativeNameBuilder.AddUri normalizes through System.Uri; an attacker's spelling needs the raw writer.
    private static X509Extension UriNames(string[] uris)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var uri in uris)
            {
                writer.WriteCharacterString(UniversalTagNumber.IA5String, uri, new Asn1Tag(TagClass.ContextSpecific, 6));
            }
        }
        return new X509Extension("2.5.29.17", writer.Encode(), critical: false);
    }

    private T Own<T>(T item) where T : IDisposable
    {
        _owned.Add(item);
        return item;
    }

    public void Dispose()
    {
        foreach (var item in _owned)
        {
            item.Dispose();
        }
    }
}
