using System.Formats.Asn1;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;

namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>Why a presented X.509-SVID does not authenticate a client: named, for the log line and the error metric.</summary>
internal static class SvidRejections
{
    public const string CertificateAuthority = "CertificateAuthority";
    public const string NoSpiffeId = "NoSpiffeId";
    public const string SeveralUriNames = "SeveralUriNames";
    public const string OtherTrustDomain = "OtherTrustDomain";
    public const string NotYetValid = "NotYetValid";
    public const string Expired = "Expired";
    public const string NoDigitalSignature = "NoDigitalSignature";
    public const string NotForClientAuthentication = "NotForClientAuthentication";
    public const string TooManyIntermediates = "TooManyIntermediates";
    public const string UntrustedChain = "UntrustedChain";
}

/// <summary>The verdict on one presented SVID: the SPIFFE ID it proves, or the named reason it proves nothing.</summary>
internal sealed record SvidVerdict(string? SpiffeId, string? Rejection)
{
    public bool Accepted => SpiffeId is not null;

    public static SvidVerdict Success(string spiffeId) => new(spiffeId, null);

    public static SvidVerdict Failure(string rejection) => new(null, rejection);
}

/// <summary>
/// May this certificate chain authenticate a client as the SPIFFE ID in its leaf? (pure: the trusted CAs and the time
/// are given). The X.509-SVID rules (https://github.com/spiffe/spiffe/blob/main/standards/X509-SVID.md): exactly one URI
/// SAN, a SPIFFE ID of this trust domain, CA:FALSE, digitalSignature; and the chain must build, at <c>now</c>, to a CA
/// of the current bundle (<see cref="Authority.TrustSnapshot.Trusted"/>): so a retiring CA's leaves keep working until
/// the CA leaves the bundle, and a dropped CA's leaves stop at once, with no restart and no per-CA configuration.
/// Shared by tls_client_auth (the TLS peer's chain) and private_key_jwt (the assertion's x5c).
/// </summary>
internal static class SvidClientCertificateValidator
{
    /// <summary>Sigil's chains are leaf, at most one intermediate (an external --ca-secret), root; a few more are allowed for
    /// platform CAs, but never an unbounded chain from a stranger for X509Chain to walk.</summary>
    public const int MaxIntermediates = 4;

    private const string ClientAuthenticationOid = "1.3.6.1.5.5.7.3.2";

    /// <param name="leaf">The certificate the client presented as its own.</param>
    /// <param name="intermediates">The other certificates it sent (untrusted: only helpers for building the chain).</param>
    /// <param name="trusted">Every CA of the current trust bundle.</param>
    /// <param name="trustDomain">Sigil's trust domain: SVIDs of another trust domain authenticate nobody here.</param>
    /// <param name="memo">Chains already built against this trusted set (optional: a cache, never a source of trust).</param>
    /// <param name="issuers">Sigil's signers: the certificate above the leaf must be one (null: any CA of the bundle, for tests of the rest).</param>
    public static SvidVerdict Validate(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, IReadOnlyList<X509Certificate2> trusted,
        string trustDomain, DateTimeOffset now, TrustedChainMemo? memo = null, ClientIssuers? issuers = null)
    {
        // The order only chooses which reason is named; every check must pass.
        if (IsCertificateAuthority(leaf))
        {
            return SvidVerdict.Failure(SvidRejections.CertificateAuthority); // a CA certificate is never a workload
        }
        var uris = UriNames(leaf);
        if (uris is null || uris.Count == 0)
        {
            return SvidVerdict.Failure(SvidRejections.NoSpiffeId); // no identity to authenticate as
        }
        if (uris.Count > 1)
        {
            return SvidVerdict.Failure(SvidRejections.SeveralUriNames); // an SVID has exactly one URI SAN: which one would it be?
        }
        if (!SpiffeIds.TryGetTrustDomain(uris[0], out var claimedDomain))
        {
            return SvidVerdict.Failure(SvidRejections.NoSpiffeId); // a URI that is not a well-formed SPIFFE ID
        }
        if (!string.Equals(claimedDomain, trustDomain, StringComparison.Ordinal))
        {
            return SvidVerdict.Failure(SvidRejections.OtherTrustDomain); // federation is not offered: only our own workloads
        }
        if (now < new DateTimeOffset(leaf.NotBefore.ToUniversalTime()))
        {
            return SvidVerdict.Failure(SvidRejections.NotYetValid);
        }
        if (now > new DateTimeOffset(leaf.NotAfter.ToUniversalTime()))
        {
            return SvidVerdict.Failure(SvidRejections.Expired);
        }
        if (leaf.Extensions.OfType<X509KeyUsageExtension>().FirstOrDefault() is not { } usage
            || !usage.KeyUsages.HasFlag(X509KeyUsageFlags.DigitalSignature))
        {
            return SvidVerdict.Failure(SvidRejections.NoDigitalSignature); // the SVID spec requires it of every leaf
        }
        if (leaf.Extensions.OfType<X509EnhancedKeyUsageExtension>().FirstOrDefault() is { } eku
            && !eku.EnhancedKeyUsages.Cast<Oid>().Any(o => o.Value == ClientAuthenticationOid))
        {
            return SvidVerdict.Failure(SvidRejections.NotForClientAuthentication); // restricted by its issuer to other uses
        }
        if (intermediates.Count > MaxIntermediates)
        {
            return SvidVerdict.Failure(SvidRejections.TooManyIntermediates);
        }
        return memo?.Knows(leaf, intermediates, trusted, now) == true || ChainsToTrustedCa(leaf, intermediates, trusted, now, memo, issuers)
            ? SvidVerdict.Success(uris[0])
            : SvidVerdict.Failure(SvidRejections.UntrustedChain); // another CA, a dropped CA, self-signed, or a broken chain
    }

    private static bool ChainsToTrustedCa(X509Certificate2 leaf, IReadOnlyList<X509Certificate2> intermediates, IReadOnlyList<X509Certificate2> trusted, DateTimeOffset now,
        TrustedChainMemo? memo, ClientIssuers? issuers)
    {
        if (trusted.Count == 0)
        {
            return false;
        }
        using var chain = new X509Chain();
        var policy = chain.ChainPolicy;
        // Only the bundle is trusted: never the machine's store, never a certificate the client sent.
        policy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        policy.CustomTrustStore.AddRange(trusted.ToArray());
        policy.ExtraStore.AddRange(intermediates.ToArray());
        // SPIFFE has no revocation (short lifetimes instead), and a request must never make the issuer fetch a URL a client chose (AIA).
        policy.RevocationMode = X509RevocationMode.NoCheck;
        policy.DisableCertificateDownloads = true;
        policy.VerificationTime = now.UtcDateTime;
        policy.VerificationTimeIgnored = false;
        policy.ApplicationPolicy.Add(new Oid(ClientAuthenticationOid));
        policy.VerificationFlags = X509VerificationFlags.NoFlag;
        if (!chain.Build(leaf))
        {
            return false;
        }
        // Build succeeds only on a custom root; check it once more by value, so no setting above can quietly widen trust.
        var root = chain.ChainElements[^1].Certificate;
        if (!trusted.Any(t => t.RawDataMemory.Span.SequenceEqual(root.RawDataMemory.Span)))
        {
            return false;
        }
        // Signed by Sigil itself, not by a sibling CA under the same root (a chain remembered above passed this too).
        if (issuers is not null && (chain.ChainElements.Count < 2 || !issuers.Issued(chain.ChainElements[1].Certificate)))
        {
            return false;
        }
        memo?.Remember(leaf, intermediates, trusted, chain.ChainElements.Select(e => e.Certificate));
        return true;
    }

    private static bool IsCertificateAuthority(X509Certificate2 certificate) =>
        certificate.Extensions.OfType<X509BasicConstraintsExtension>().Any(b => b.CertificateAuthority);

    /// <summary>The URI SANs, or null when the extension cannot be read (treated as having none).</summary>
    private static List<string>? UriNames(X509Certificate2 certificate)
    {
        var sans = certificate.Extensions.Where(e => e.Oid?.Value == "2.5.29.17").ToList();
        if (sans.Count == 0)
        {
            return [];
        }
        if (sans.Count > 1)
        {
            return null; // RFC 5280 4.2: an extension appears at most once; a certificate with two SANs is malformed
        }
        try
        {
            // .NET enumerates DNS names and IPs but not URIs, so the GeneralNames are read with the ASN.1 reader.
            var names = new List<string>();
            var reader = new AsnReader(sans[0].RawData, AsnEncodingRules.DER).ReadSequence();
            var uriTag = new Asn1Tag(TagClass.ContextSpecific, 6);
            while (reader.HasData)
            {
                if (reader.PeekTag() == uriTag)
                {
                    names.Add(reader.ReadCharacterString(UniversalTagNumber.IA5String, uriTag));
                }
                else
                {
                    reader.ReadEncodedValue();
                }
            }
            return names;
        }
        catch (AsnContentException)
        {
            return null;
        }
    }
}
