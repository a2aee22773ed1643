using System.Net.Security;
using System.Runtime.CompilerServices;
using System.Security.Cryptography.X509Certificates;
using Sigil.Client.X509;

namespace Sigil.Client.Http;

/// <summary>
/// The TLS client settings every Sigil client connection shares: the server is authenticated by SPIFFE ID against the
/// trust bundle of the moment (as go-spiffe does: the host name is not checked, nothing is downloaded), and, when we
/// have an SVID, the current one is presented on each new connection.
/// </summary>
internal static class SvidTls
{
    public static SslClientAuthenticationOptions ClientOptions(
        Func<TrustBundle> bundle, SpiffeIdAuthorizer serverAuthorizer, Func<X509Certificate2>? presenting, Action<HandshakeInfo>? onHandshake,
        bool requireHostName = false)
    {
        var presented = new ConditionalWeakTable<object, X509Certificate2>();
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
            RemoteCertificateValidationCallback = (sender, certificate, chain, errors) =>
                (!requireHostName || (errors & SslPolicyErrors.RemoteCertificateNameMismatch) == 0)
                && ValidateServer(sender, certificate, chain, bundle(), serverAuthorizer, presented, onHandshake),
#pragma warning restore CA5359
        };
        if (presenting is not null)
        {
            // Called for every new connection, so a renewed SVID is presented by the next one. (ClientCertificateContext
            // would be fixed when the connection pool is made, which outlives any certificate.)
            options.LocalCertificateSelectionCallback = (sender, _, _, _, _) =>
            {
                var certificate = presenting();
                presented.AddOrUpdate(sender, certificate);
                return certificate;
            };
        }
        return options;
    }

    private static bool ValidateServer(object sender, X509Certificate? certificate, X509Chain? chain, TrustBundle bundle,
        SpiffeIdAuthorizer authorizer, ConditionalWeakTable<object, X509Certificate2> presented, Action<HandshakeInfo>? onHandshake)
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
            var ours = presented.TryGetValue(sender, out var selected) ? selected : (sender as SslStream)?.LocalCertificate;
            onHandshake(new HandshakeInfo(result.Id!, SerialOf(server), ours is null ? null : SerialOf(ours)));
        }
        return true;
    }

    internal static string SerialOf(X509Certificate certificate) => certificate.GetSerialNumberString().ToLowerInvariant();
}
