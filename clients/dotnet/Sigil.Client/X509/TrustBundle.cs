using System.Security.Cryptography.X509Certificates;

namespace Sigil.Client.X509;

/// <summary>
/// The CA certificates a trust domain currently trusts (<c>ca.crt</c>): the active CA, a prepared next one and a
/// retiring previous one during a rotation. Peers are checked against every one of them, so a CA rotation needs nothing.
/// </summary>
public sealed class TrustBundle
{
    private TrustBundle(X509Certificate2Collection authorities) => Authorities = authorities;

    /// <summary>The trusted CA certificates.</summary>
    public X509Certificate2Collection Authorities { get; }

    /// <summary>Reads a PEM bundle of one or more CA certificates.</summary>
    /// <exception cref="SigilCredentialException">No certificate, or one that is not a CA.</exception>
    public static TrustBundle FromPem(string pem, string source)
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
        return new TrustBundle(authorities);
    }
}
