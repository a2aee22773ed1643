using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Http;

namespace Sigil.AspNetCore;

/// <summary>
/// The certificate the client presented in this connection's own TLS handshake. <c>Connection.GetClientCertificateAsync</c>
/// is not that once ASP.NET's CertificateForwarding middleware runs: it then reads a request header, which anyone can
/// fill with a victim's (public) certificate. A forwarded certificate is used only when the options say so.
/// </summary>
internal static class TlsPeerCertificate
{
    public static async Task<X509Certificate2?> GetAsync(HttpContext context, bool trustForwarded)
    {
        if (trustForwarded)
        {
            return await context.Connection.GetClientCertificateAsync(context.RequestAborted).ConfigureAwait(false);
        }
        if (context.Features.Get<SigilPeerFeature>() is { } peer)
        {
            return X509CertificateLoader.LoadCertificate(peer.CertificateDer);
        }
        // Kestrel's own TLS (not UseSigilMtls): the SslStream's remote certificate, which no middleware replaces.
        return context.Features.Get<ISslStreamFeature>()?.SslStream.RemoteCertificate is { } remote
            ? X509CertificateLoader.LoadCertificate(remote.GetRawCertData())
            : null;
    }
}
