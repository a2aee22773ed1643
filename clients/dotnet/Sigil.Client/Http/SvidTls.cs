using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Sigil.Client.X509;

namespace Sigil.Client.Http;

/// <summary>
/// The TLS client settings every Sigil client connection shares: the server is authenticated by SPIFFE ID against the
/// trust bundle of the moment (as go-spiffe does: the host name is not checked, nothing is downloaded), and, when we
/// have an SVID, it is presented with its intermediates. One options object presents one SVID: a caller that follows
/// renewals builds new options (and a new connection pool) per SVID, see <see cref="SigilHttpHandler"/>.
/// </summary>
internal static class SvidTls
{
    public static SslClientAuthenticationOptions ClientOptions(
        Func<TrustBundle> bundle, SpiffeIdAuthorizer serverAuthorizer, X509Svid? presenting, Action<HandshakeInfo>? onHandshake,
        bool requireHostName = false)
    {
        var options = new SslClientAuthenticationOptions
        {
            // Resuming a session would skip presenting the current SVID and checking the server against the current bundle.
            AllowTlsResume = false,
            // SslStream builds the server's chain before our callback; unset, it could download a URL the server's
            // certificate names (AIA). The callback below decides, against the bundle only.
            CertificateChainPolicy = new X509ChainPolicy
            {
                TrustMode = X509ChainTrustMode.CustomRootTrust,
                DisableCertificateDownloads = true,
                RevocationMode = X509RevocationMode.NoCheck,
            },
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
#pragma warning disable CA5359 // Not "accept everything": the SVID validator decides, see ValidateServer.
            // requireHostName: the URL's host must also be a DNS or IP name of the server's certificate (SslStream's
            // own check against the request's host), for a server that any SVID of the trust domain must not pass as.
            RemoteCertificateValidationCallback = (_, certificate, chain, errors) =>
                (!requireHostName || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0)
                && ValidateServer(certificate, chain, bundle(), serverAuthorizer, presenting?.Certificate, onHandshake),
#pragma warning restore CA5359
        };
        if (presenting is not null)
        {
            // A context rather than a selection callback: SslStream sends a context's intermediates, and builds the context
            // of a selected certificate without them (a peer trusting only the root would refuse us). offline: nothing is
            // downloaded to complete the chain.
            options.ClientCertificateContext = SslStreamCertificateContext.Create(presenting.Certificate, presenting.Intermediates, offline: true);
        }
        return options;
    }

    private static bool ValidateServer(X509Certificate? certificate, X509Chain? chain, TrustBundle bundle,
        SpiffeIdAuthorizer authorizer, X509Certificate2? ours, Action<HandshakeInfo>? onHandshake)
    {
        if (certificate is not X509Certificate2 server)
        {
            return false;
        }
        // SslStream puts what the server sent after its own certificate in the chain's extra store; the validator
        // treats them as helpers only.
        var result = X509SvidValidator.Validate(server, chain?.ChainPolicy.ExtraStore, bundle, authorizer);
        if (!result.Succeeded)
        {
            return false;
        }
        if (onHandshake is not null)
        {
            onHandshake(new HandshakeInfo(result.Id!, SerialOf(server), ours is null ? null : SerialOf(ours)));
        }
        return true;
    }

    internal static string SerialOf(X509Certificate certificate) => certificate.GetSerialNumberString().ToLowerInvariant();
}
