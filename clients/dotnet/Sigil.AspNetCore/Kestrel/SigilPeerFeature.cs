using Sigil.Client;

namespace Sigil.AspNetCore;

/// <summary>
/// Set on a connection once <see cref="SigilKestrelExtensions"/> has checked the client's certificate against the
/// trust bundle and the authorizer: which certificate, and whose SPIFFE ID it carries.
/// </summary>
internal sealed class SigilPeerFeature(SpiffeId id, byte[] certificateDer)
{
    public SpiffeId Id { get; } = id;

    public byte[] CertificateDer { get; } = certificateDer;
}
