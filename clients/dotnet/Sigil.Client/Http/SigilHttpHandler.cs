using Sigil.Client.X509;

namespace Sigil.Client.Http;

/// <summary>
/// An <see cref="HttpClient"/> handler for mutual TLS with X.509-SVIDs: it presents the current SVID on every new
/// connection and accepts only a server whose SVID chains to the trust bundle and whose SPIFFE ID the authorizer
/// allows. The host name is not checked (the SPIFFE ID is the server's identity), so <c>https://127.0.0.1:8443</c> and
/// pod IPs work; nothing is ever downloaded.
/// </summary>
/// <remarks>
/// Only the leaf certificate is presented: .NET sends no intermediates for a certificate chosen per connection. SVIDs of
/// Sigil's own CA need none; with a <c>--ca-secret</c> intermediate, servers must hold that intermediate in their bundle.
/// </remarks>
public static class SigilHttpHandler
{
    /// <summary>
    /// A handler that presents <paramref name="svid"/>'s current certificate and checks servers against its current trust
    /// bundle. Pooled connections are replaced after <see cref="SigilHttpHandlerOptions.PooledConnectionLifetime"/>, so a
    /// renewed SVID or a rotated bundle reaches long-lived clients too.
    /// </summary>
    /// <param name="svid">Our SVID and the trust bundle, kept current from the mounted Secret.</param>
    /// <param name="serverAuthorizer">Which server SPIFFE IDs we talk to.</param>
    /// <param name="options">Pool lifetime and a handshake observer.</param>
    public static SocketsHttpHandler Create(X509SvidSource svid, SpiffeIdAuthorizer serverAuthorizer, SigilHttpHandlerOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(svid);
        ArgumentNullException.ThrowIfNull(serverAuthorizer);
        options ??= new SigilHttpHandlerOptions();
        if (options.PooledConnectionLifetime <= TimeSpan.Zero)
        {
            throw new ArgumentOutOfRangeException(nameof(options), options.PooledConnectionLifetime,
                "PooledConnectionLifetime must be positive: a pooled connection keeps the certificate it was opened with.");
        }
        return new SocketsHttpHandler
        {
            PooledConnectionLifetime = options.PooledConnectionLifetime,
            SslOptions = SvidTls.ClientOptions(() => svid.Current.Bundle, serverAuthorizer, () => svid.Current.Certificate, options.OnHandshake),
        };
    }
}
