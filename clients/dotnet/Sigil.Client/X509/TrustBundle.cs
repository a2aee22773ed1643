using System.Security.Cryptography.X509Certificates;

namespace Sigil.Client.X509;

/// <summary>
/// The CA certificates a trust domain currently trusts (<c>ca.crt</c>): the active CA, a prepared next one and a
/// retiring previous one during a rotation. Peers are checked against every one of them, so a CA rotation needs nothing.
/// A bundle is one trust domain's (as go-spiffe's are): a peer of another trust domain is refused even when its
/// certificate chains to a CA here, as it does when several trust domains share an upstream root (<c>--ca-secret</c>).
/// </summary>
public sealed class TrustBundle
{
    private TrustBundle(X509Certificate2Collection authorities, string? trustDomain)
    {
        Authorities = authorities;
        TrustDomain = trustDomain;
    }

    /// <summary>The trusted CA certificates.</summary>
    public X509Certificate2Collection Authorities { get; }

    /// <summary>
    /// The trust domain whose peers this bundle authenticates (from the SVID of the same folder, or given); null when
    /// not known, and then <see cref="X509SvidValidator"/> refuses every peer.
    /// </summary>
    public string? TrustDomain { get; }

    /// <summary>The same CAs, for the peers of <paramref name="trustDomain"/>.</summary>
    public TrustBundle ForTrustDomain(string trustDomain)
    {
        ArgumentException.ThrowIfNullOrEmpty(trustDomain);
        return string.Equals(trustDomain, TrustDomain, StringComparison.Ordinal) ? this : new TrustBundle(Authorities, trustDomain);
    }

    /// <summary>Reads a PEM bundle of one or more CA certificates.</summary>
    /// <param name="pem">The PEM text.</param>
    /// <param name="source">Where it was read, for error messages.</param>
    /// <param name="trustDomain">The trust domain whose peers it authenticates (e.g. <c>cluster.local</c>); without one, every peer is refused.</param>
    /// <exception cref="SigilCredentialException">No certificate, or one that is not a CA.</exception>
    public static TrustBundle FromPem(string pem, string source, string? trustDomain = null)
    {
        var authorities = new X509Certificate2Collection();
        try
        {
            authorities.ImportFromPem(pem);
        }
        catch (System.Security.Cryptography.CryptographicException)
        {
            throw new SigilCredentialException($"{source} is not a PEM bundle of CA certificates.");
        }
        if (authorities.Count == 0)
        {
            throw new SigilCredentialException($"{source} holds no CA certificate.");
        }
        foreach (var authority in authorities)
        {
            if (authority.Extensions.OfType<X509BasicConstraintsExtension>().FirstOrDefault() is not { CertificateAuthority: true })
            {
                throw new SigilCredentialException($"{source} holds a certificate that is not a CA ({authority.Subject}, SHA-256 {authority.GetCertHashString(System.Security.Cryptography.HashAlgorithmName.SHA256)}).");
            }
        }
        return new TrustBundle(authorities, trustDomain);
    }
}
