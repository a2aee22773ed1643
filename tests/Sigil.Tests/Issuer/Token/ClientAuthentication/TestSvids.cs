using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using Microsoft.Extensions.Time.Testing;
using Sigil.Identity;

namespace Sigil.Tests.Issuer.Token.ClientAuthentication;

/// <summary>
/// Real SVIDs from Sigil's own CA and issuer, and the certificates an attacker would make instead: a CA of their own,
/// a self-signed look-alike, a leaf signed by a workload's key. Built once per test class, all at <see cref="T0"/>.
/// </summary>
internal sealed class TestSvids : IDisposable
{
    public const string TrustDomain = "cluster.local";
    public static readonly DateTimeOffset T0 = new(2026, 11, 30, 12, 0, 0, TimeSpan.Zero);
    public static readonly SpiffeId Payments = new(TrustDomain, "shop", "payments");
    public static readonly SpiffeId Victim = new(TrustDomain, "bank", "ledger");

    private readonly List<IDisposable> _owned = [];

    public TestSvids()
    {
        Clock = new FakeTimeProvider(T0);
        Ours = Own(CertificateAuthority.CreateRoot(TrustDomain, Clock));
        Retiring = Own(CertificateAuthority.CreateRoot(TrustDomain, new FakeTimeProvider(T0 - TimeSpan.FromDays(200))));
        SameNameStranger = Own(CertificateAuthority.CreateRoot(TrustDomain, Clock));
        OtherDomain = Own(CertificateAuthority.CreateRoot("other.example", Clock));
    }

    public FakeTimeProvider Clock { get; }

    /// <summary>The CA that signs now.</summary>
    public CertificateAuthority Ours { get; }

    /// <summary>The previous CA: still in the bundle while its leaves move, then dropped.</summary>
    public CertificateAuthority Retiring { get; }

    /// <summary>A CA with our trust domain's name constraint that is in no bundle of ours (someone else's Sigil).</summary>
    public CertificateAuthority SameNameStranger { get; }

    /// <summary>The CA of another trust domain.</summary>
    public CertificateAuthority OtherDomain { get; }

    /// <summary>What <see cref="Authority.TrustSnapshot.Trusted"/> holds during a rotation: the retiring CA and ours.</summary>
    public IReadOnlyList<X509Certificate2> DuringRotation => [Retiring.Anchor, Ours.Anchor];

    /// <summary>What it holds once the retiring CA is dropped.</summary>
    public IReadOnlyList<X509Certificate2> AfterRotation => [Ours.Anchor];

    /// <summary>An SVID as Sigil issues it, with its key, and the certificates after the leaf in its tls.crt.</summary>
    public LoadedSvid Issue(CertificateAuthority ca, SpiffeId id, KeyAlgorithm algorithm = KeyAlgorithm.ECDSAP256, TimeSpan? ttl = null, DateTimeOffset? at = null)
    {
        var issued = new SvidIssuer(ca, new FakeTimeProvider(at ?? T0)).Issue(new SvidRequest(id, [], algorithm, ttl ?? TimeSpan.FromHours(1)));
        return Own(LoadedSvid.From(issued));
    }

    /// <summary>A leaf built by hand (for shapes Sigil never issues), signed by <paramref name="issuer"/>'s key, or self-signed when it is null.</summary>
    public X509Certificate2 Custom(X509Certificate2? issuer, string[] uris, bool ca = false, X509KeyUsageFlags usage = X509KeyUsageFlags.DigitalSignature,
        string[]? ekus = null, string[]? dnsNames = null)
    {
        using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("O=sigil", key, HashAlgorithmName.SHA256);
        if (uris.Length + (dnsNames?.Length ?? 0) > 0)
        {
            request.CertificateExtensions.Add(SubjectAlternativeName(uris, dnsNames ?? []));
        }
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(ca, false, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(usage, true));
        request.CertificateExtensions.Add(new X509EnhancedKeyUsageExtension(
            new OidCollection { }.With(ekus ?? ["1.3.6.1.5.5.7.3.1", "1.3.6.1.5.5.7.3.2"]), false));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        var notBefore = T0 - TimeSpan.FromMinutes(1);
        var notAfter = T0 + TimeSpan.FromHours(1);
        if (issuer is null)
        {
            return Own(request.CreateSelfSigned(notBefore, notAfter));
        }
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(issuer, true, false));
        // The generator overload signs without checking that the issuer is a CA: an attacker's tooling does not check either.
        var signer = issuer.GetECDsaPrivateKey() is { } ec ? X509SignatureGenerator.CreateForECDsa(ec)
            : X509SignatureGenerator.CreateForRSA(issuer.GetRSAPrivateKey()!, RSASignaturePadding.Pkcs1);
        var serial = RandomNumberGenerator.GetBytes(16);
        serial[0] &= 0x7f;
        using var signed = request.Create(issuer.SubjectName, signer, notBefore, notAfter, serial);
        return Own(signed.CopyWithPrivateKey(key));
    }

    /// <summary>A platform root above an intermediate that signs SVIDs, as with --ca-secret: bundles hold the root only.</summary>
    public (CertificateAuthority Intermediate, X509Certificate2 Root) PlatformIntermediate(DateTimeOffset? at = null)
    {
        var (intermediates, root) = PlatformIntermediates(1, at);
        return (intermediates[0], root);
    }

    /// <summary>A platform root above <paramref name="count"/> sibling intermediates (Sigil's, and another team's or cluster's).</summary>
    public (IReadOnlyList<CertificateAuthority> Intermediates, X509Certificate2 Root) PlatformIntermediates(int count, DateTimeOffset? at = null)
    {
        var t0 = at ?? T0;
        using var rootKey = ECDsa.Create(ECCurve.NamedCurves.nistP256);
        var rootRequest = new CertificateRequest("O=platform, CN=platform root", rootKey, HashAlgorithmName.SHA256);
        rootRequest.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, false, 0, true));
        rootRequest.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        rootRequest.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(rootRequest.PublicKey, false));
        var root = Own(rootRequest.CreateSelfSigned(t0 - TimeSpan.FromDays(1), t0 + TimeSpan.FromDays(365)));
        var intermediates = new List<CertificateAuthority>();
        for (var n = 0; n < count; n++)
        {
            using var key = ECDsa.Create(ECCurve.NamedCurves.nistP256);
            var request = new CertificateRequest($"O=platform, CN=intermediate {n}", key, HashAlgorithmName.SHA256);
            request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
            request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
            request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
            request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root, true, false));
            using var intermediate = request.Create(root, t0 - TimeSpan.FromHours(1), t0 + TimeSpan.FromDays(90), RandomNumberGenerator.GetBytes(16));
            intermediates.Add(Own(CertificateAuthority.FromPem(intermediate.ExportCertificatePem() + "\n" + root.ExportCertificatePem(), key.ExportPkcs8PrivateKeyPem())));
        }
        return (intermediates, X509CertificateLoader.LoadCertificate(root.RawData));
    }

    // Written with the ASN.1 writer: SubjectAlternativeNameBuilder.AddUri takes a System.Uri, which lowercases the host and
    // resolves dot segments, so it could never write the spellings an attacker would.
    private static X509Extension SubjectAlternativeName(string[] uris, string[] dnsNames)
    {
        var writer = new System.Formats.Asn1.AsnWriter(System.Formats.Asn1.AsnEncodingRules.DER);
        using (writer.PushSequence())
        {
            foreach (var uri in uris)
            {
                writer.WriteCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, uri, new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 6));
            }
            foreach (var dns in dnsNames)
            {
                writer.WriteCharacterString(System.Formats.Asn1.UniversalTagNumber.IA5String, dns, new System.Formats.Asn1.Asn1Tag(System.Formats.Asn1.TagClass.ContextSpecific, 2));
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

/// <summary>An issued SVID loaded as a client would: the leaf with its key (EC and RSA), the rest of tls.crt, the PEM as written.</summary>
internal sealed record LoadedSvid(X509Certificate2 Leaf, IReadOnlyList<X509Certificate2> Intermediates, IssuedSvid Issued) : IDisposable
{
    public static LoadedSvid From(IssuedSvid issued)
    {
        var all = new X509Certificate2Collection();
        all.ImportFromPem(issued.CertificateChainPem);
        var leaf = issued.Facts.KeyAlgorithm == KeyAlgorithm.Ed25519
            ? X509CertificateLoader.LoadCertificate(all[0].RawData)
            : X509Certificate2.CreateFromPem(all[0].ExportCertificatePem(), issued.PrivateKeyPem);
        return new LoadedSvid(leaf, [.. all.Skip(1)], issued);
    }

    public string SpiffeId => Issued.Facts.UriNames[0];

    public void Dispose()
    {
        Leaf.Dispose();
        foreach (var c in Intermediates)
        {
            c.Dispose();
        }
    }

    public override string ToString() => $"LoadedSvid {{ {SpiffeId} }}";
}

internal static class OidCollectionExtensions
{
    public static OidCollection With(this OidCollection collection, IEnumerable<string> oids)
    {
        foreach (var oid in oids)
        {
            collection.Add(new Oid(oid));
        }
        return collection;
    }
}
