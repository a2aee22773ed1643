using System.Security.Cryptography.X509Certificates;

namespace Sigil.Issuer.Token.ClientAuthentication;

/// <summary>
/// The CAs whose leaves authenticate clients: Sigil's own signers, not every certificate of the bundle. With --ca-secret
/// holding an intermediate, the bundle holds the corporate root, under which other CAs (another cluster's Sigil, another
/// team's issuer) can sign a leaf naming any SPIFFE ID of this trust domain; only a leaf that Sigil's signer issued is one.
/// </summary>
/// <param name="Signing">The active and prepared signers, compared by value.</param>
/// <param name="RetiringKeyIds">The key identifiers of retiring signers (their certificates are not kept, only their anchors).</param>
internal sealed record ClientIssuers(IReadOnlyList<X509Certificate2> Signing, IReadOnlySet<string> RetiringKeyIds)
{
    /// <summary>Whether <paramref name="issuer"/>, the certificate above the leaf in a built chain, is one of Sigil's signers.</summary>
    public bool Issued(X509Certificate2 issuer)
    {
        if (Signing.Any(s => s.RawDataMemory.Span.SequenceEqual(issuer.RawDataMemory.Span)))
        {
            return true;
        }
        var keyId = issuer.Extensions.OfType<X509SubjectKeyIdentifierExtension>().FirstOrDefault()?.SubjectKeyIdentifier;
        return keyId is not null && RetiringKeyIds.Contains(keyId.ToLowerInvariant());
    }
}
