using Microsoft.AspNetCore.Authentication;
using Sigil.Client;
using Sigil.Client.X509;

namespace Sigil.AspNetCore;

/// <summary>
/// Options of <c>AddSigilClientCertificate</c>. Behind <see cref="SigilKestrelExtensions.UseSigilMtls(Microsoft.AspNetCore.Server.Kestrel.Core.ListenOptions, X509SvidSource, SpiffeIdAuthorizer, SigilMtlsOptions?)"/>
/// none are needed: the handshake already checked the certificate. Behind anything else (a proxy terminating TLS that
/// forwards the client certificate, Kestrel's own https setup) the certificate is checked here, against
/// <see cref="Svid"/>'s current trust bundle.
/// </summary>
public sealed class SigilClientCertificateOptions : AuthenticationSchemeOptions
{
    /// <summary>
    /// The SVID folder whose bundle (<c>ca.crt</c>) checks a certificate that no Sigil handshake checked. When null, the
    /// <see cref="X509SvidSource"/> registered in the services is used, if any.
    /// </summary>
    public X509SvidSource? Svid { get; set; }

    /// <summary>Which SPIFFE IDs are accepted when the certificate is checked here. Default: any ID the bundle's CAs signed.</summary>
    public SpiffeIdAuthorizer Authorizer { get; set; } = SpiffeIdAuthorizer.Any();
}
