using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sigil.Identity;

/// <summary>
/// The signing key and certificate chain Sigil issues SVIDs from: a root it made itself, or a CA or
/// intermediate the platform team gave it. The chain (everything above the leaf, up to but not
/// including the root when an intermediate signs) goes into every leaf Secret's tls.crt.
/// </summary>
public sealed class CertificateAuthority : IDisposable
{
    private readonly IReadOnlyList<X509Certificate2> _parents;

    private CertificateAuthority(X509Certificate2 signer, IReadOnlyList<X509Certificate2> parents, IReadOnlyList<X509Certificate2> chain, X509Certificate2 anchor)
    {
        _parents = parents;
        Signer = signer;
        Chain = chain;
        Anchor = anchor;
        TrustBundlePem = anchor.ExportCertificatePem() + "\n";
    }

    /// <summary>The CA certificate with its private key.</summary>
    public X509Certificate2 Signer { get; }

    /// <summary>Certificates to send after the leaf: the signer when it is an intermediate, and its parents.</summary>
    public IReadOnlyList<X509Certificate2> Chain { get; }

    /// <summary>What relying parties trust for this CA: the root of the chain (the signer itself when it is a root).</summary>
    public X509Certificate2 Anchor { get; }

    /// <summary>The anchor as PEM.</summary>
    public string TrustBundlePem { get; }

    /// <summary><see cref="KeyIdentifier"/> as lowercase hex, as leaves' authority key identifiers are compared.</summary>
    public string KeyIdHex => Convert.ToHexStringLower(KeyIdentifier);

    public DateTimeOffset NotAfter => Signer.NotAfter.ToUniversalTime();

    /// <summary>
    /// The CA's key identifier, which every leaf names as its authority key identifier: the CA's own SKI extension,
    /// or (for a CA without one) RFC 7093's leftmost 160 bits of the SHA-256 of its public key.
    /// </summary>
    public byte[] KeyIdentifier => KeyIdentifierOf(Signer);

    /// <summary><see cref="KeyIdentifier"/> of any CA certificate, as lowercase hex.</summary>
    public static string KeyIdOf(X509Certificate2 ca) => Convert.ToHexStringLower(KeyIdentifierOf(ca));

    private static byte[] KeyIdentifierOf(X509Certificate2 ca) => ca.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifierBytes.ToArray()
        ?? SHA256.HashData(ca.PublicKey.EncodedKeyValue.RawData)[..20];

    /// <summary>The signing certificate and the anchor above it, from a tls.crt chain, without a key (a CA that has retired).</summary>
    public static (X509Certificate2 Signer, X509Certificate2 Anchor) PublicParts(string certificatesPem)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPem(certificatesPem);
        if (certificates.Count == 0)
        {
            throw new InvalidDataException("the CA chain holds no certificate");
        }
        var signer = certificates[0];
        var anchor = IsSelfSigned(signer) ? signer : certificates.Skip(1).LastOrDefault(IsSelfSigned) ?? certificates[^1];
        return (signer, anchor);
    }

    /// <summary>
    /// A new self-signed root: ECDSA P-256, valid for <paramref name="lifetime"/> (default a year), allowed to sign only for the trust
    /// domain's SPIFFE IDs. Its subject names the minute it was made, so two generations are told apart at a glance.
    /// </summary>
    public static CertificateAuthority CreateRoot(string trustDomain, TimeProvider time, TimeSpan? lifetime = null)
    {
        var now = Api.Timestamps.ToSecond(time.GetUtcNow());
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var generation = now.UtcDateTime.ToString("yyyy-MM-dd'T'HH:mm:ss'Z'", System.Globalization.CultureInfo.InvariantCulture);
        var request = new CertificateRequest($"O=sigil, CN=sigil root CA for {trustDomain} {generation}", key, HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 1, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign | X509KeyUsageFlags.CrlSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(UriNameConstraint(trustDomain));
        // notBefore is back-dated for clock skew; notAfter is exactly the lifetime from now. The rotation schedule keys off
        // notAfter - notBefore, so the back-dating is at most a sixtieth of the lifetime: a full 5 minutes would turn
        // --ca-ttl 6m into an 11-minute lifetime, prepare the next CA 30 s after this one and rotate in a cascade.
        var validFor = lifetime ?? TimeSpan.FromHours(8760);
        var backDated = TimeSpan.FromSeconds(Math.Floor(Math.Min(TimeSpan.FromMinutes(5).TotalSeconds, validFor.TotalSeconds / 60)));
        using var root = request.CreateSelfSigned(now - backDated, now + validFor);
        return FromPem(root.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem());
    }

    /// <summary>Loads a CA from its Secret: tls.crt (the signing certificate first, then its chain) and tls.key.</summary>
    public static CertificateAuthority FromPem(string certificatesPem, string privateKeyPem)
    {
        var certificates = new X509Certificate2Collection();
        certificates.ImportFromPem(certificatesPem);
        if (certificates.Count == 0)
        {
            throw new InvalidDataException("the CA Secret's tls.crt holds no certificate");
        }
        var signer = X509Certificate2.CreateFromPem(certificates[0].ExportCertificatePem(), privateKeyPem);
        if (!IsCertificateAuthority(signer))
        {
            throw new InvalidDataException($"the CA certificate {signer.Subject} is not a CA (basicConstraints CA:TRUE is missing)");
        }
        // Kestrel-style ephemeral keys cannot sign on every platform; a PKCS#12 round trip makes the key usable.
        signer = X509CertificateLoader.LoadPkcs12(signer.Export(X509ContentType.Pkcs12), null, X509KeyStorageFlags.Exportable);
        var parents = certificates.Skip(1).ToList();
        var selfSigned = signer.SubjectName.RawData.AsSpan().SequenceEqual(signer.IssuerName.RawData);
        var chain = selfSigned ? new List<X509Certificate2>() : [X509CertificateLoader.LoadCertificate(signer.RawData), .. parents.Where(p => !IsSelfSigned(p))];
        var root = selfSigned ? signer : parents.LastOrDefault(IsSelfSigned) ?? parents.LastOrDefault() ?? signer;
        return new CertificateAuthority(signer, parents, chain, X509CertificateLoader.LoadCertificate(root.RawData));
    }

    /// <summary>What the CA Secret's tls.crt holds: the signer, then the certificates above it.</summary>
    public string CertificatesPem => string.Concat(new[] { Signer }.Concat(_parents).Select(c => c.ExportCertificatePem() + "\n"));

    public string PrivateKeyPem => (Signer.GetECDsaPrivateKey() as AsymmetricAlgorithm ?? Signer.GetRSAPrivateKey()
        ?? throw new InvalidDataException("the CA key must be ECDSA or RSA")).ExportPkcs8PrivateKeyPem();

    public X509SignatureGenerator SignatureGenerator() => Signer.GetECDsaPrivateKey() is { } ec
        ? X509SignatureGenerator.CreateForECDsa(ec)
        : X509SignatureGenerator.CreateForRSA(Signer.GetRSAPrivateKey() ?? throw new InvalidDataException("the CA key must be ECDSA or RSA"), RSASignaturePadding.Pkcs1);

    public HashAlgorithmName SignatureHash => Signer.GetECDsaPublicKey() is { KeySize: > 256 } ? HashAlgorithmName.SHA384 : HashAlgorithmName.SHA256;

    public void Dispose()
    {
        Signer.Dispose();
        Anchor.Dispose();
        foreach (var c in Chain)
        {
            c.Dispose();
        }
    }

    private static bool IsCertificateAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);

    private static bool IsSelfSigned(X509Certificate2 c) => c.SubjectName.RawData.AsSpan().SequenceEqual(c.IssuerName.RawData);

    // nameConstraints with one permitted uniformResourceIdentifier subtree: the trust domain's host.
    // .NET has no builder for this extension, so it is written with the ASN.1 writer (RFC 5280 §4.2.1.10).
    private static X509Extension UriNameConstraint(string host)
    {
        var writer = new AsnWriter(AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            using (writer.PushSequence(new Asn1Tag(TagClass.ContextSpecific, 0)))
            {
                using (writer.PushSequence())
                {
                    writer.WriteCharacterString(UniversalTagNumber.IA5String, host, new Asn1Tag(TagClass.ContextSpecific, 6));
                }
            }
        }
        return new X509Extension("2.5.29.30", writer.Encode(), critical: true);
    }
}
