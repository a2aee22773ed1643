using Microsoft.AspNetCore.Authentication;
using Sigil.Client;
using Sigil.Client.X509;

namespace Sigil.AspNetCore;

/// <summary>
/// Options of <c>AddSigilClientCertificate</c>. Behind <see cref="SigilKestrelExtensions.UseSigilMtls(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions, X509SvidSource, SpiffeIdAuthorizer, SigilMtlsOptions?)"/>
/// none are needed: the handshake already checked the certificate. Behind Kestrel's own https setup the certificate is
/// checked here, against <see cref="Svid"/>'s current trust bundle; behind a proxy terminating TLS that forwards the
/// client certificate in a header, only with <see cref="TrustForwardedClientCertificate"/>.
/// </summary>
public sealed class SigilClientCertificateOptions : AuthenticationSchemeOptions
{
    /// <summary>
    /// The SVID folder whose bundle (<c>ca.crt</c>) checks a certificate that no Sigil handshake checked. When null, the
    /// <see cref="X509SvidSource"/> registered in the services is used, if any.
    /// </summary>
    public X509SvidSource? Svid { get; set; }

    /// <summary>
    /// Whether a client certificate forwarded in a request header (ASP.NET's CertificateForwarding middleware) is used.
    /// Default false: only the certificate of this connection's TLS handshake counts, since a certificate is public and
    /// anyone who reaches the server can put a victim's in the header. Set it only when every request comes through a
    /// proxy that terminates TLS and overwrites the header.
    /// </summary>
    public bool TrustForwardedClientCertificate { get; set; }

    /// <summary>Which SPIFFE IDs are accepted when the certificate is checked here. Default: any ID the bundle's CAs signed.</summary>
    public SpiffeIdAuthorizer Authorizer { get; set; } = SpiffeIdAuthorizer.Any();
}
