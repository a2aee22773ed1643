using System.Net.Security;
using System.Security.Authentication;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Connections;
using Microsoft.AspNetCore.Server.Kestrel.Core.Features;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Sigil.Client;
using Sigil.Client.X509;

namespace Sigil.AspNetCore;

/// <summary>
/// Kestrel serving the X.509-SVID over mutual TLS: each handshake serves the SVID the mounted folder holds now (a
/// renewal or a CA rotation needs no restart), requires a client certificate, and accepts it only if it chains to a CA
/// of the current trust bundle (every CA in it, so a CA rotation just works; nothing is downloaded, no revocation
/// check) and carries a SPIFFE ID the authorizer allows.
/// </summary>
public static class SigilKestrelExtensions
{
    /// <summary>
    /// Serves every Kestrel endpoint (those from <c>Listen…</c> calls and from URLs, http:// ones included) with mTLS as
    /// <see cref="UseSigilMtls(ListenOptions, X509SvidSource, SpiffeIdAuthorizer, SigilMtlsOptions?)"/> does. For an
    /// endpoint without TLS next to it (a health port), configure endpoints one by one with the
    /// <see cref="ListenOptions"/> overload instead.
    /// </summary>
    /// <param name="builder">The web host.</param>
    /// <param name="svid">This service's SVID folder; the source stays owned by the caller.</param>
    /// <param name="clientAuthorizer">Which client SPIFFE IDs may connect.</param>
    /// <param name="options">Whether a client certificate is required, and a handshake callback.</param>
    public static IWebHostBuilder UseSigilMtls(this IWebHostBuilder builder, X509SvidSource svid, SpiffeIdAuthorizer clientAuthorizer, SigilMtlsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentNullException.ThrowIfNull(svid);
        ArgumentNullException.ThrowIfNull(clientAuthorizer);
        return builder.ConfigureKestrel(kestrel => kestrel.ConfigureEndpointDefaults(listen => listen.UseSigilMtls(svid, clientAuthorizer, options)));
    }

    /// <summary>Serves this endpoint with mTLS: the current SVID, client certificates checked against the current bundle and the authorizer.</summary>
    /// <param name="listen">The endpoint.</param>
    /// <param name="svid">This service's SVID folder; the source stays owned by the caller.</param>
    /// <param name="clientAuthorizer">Which client SPIFFE IDs may connect.</param>
    /// <param name="options">Whether a client certificate is required, and a handshake callback.</param>
    public static ListenOptions UseSigilMtls(this ListenOptions listen, X509SvidSource svid, SpiffeIdAuthorizer clientAuthorizer, SigilMtlsOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(listen);
        ArgumentNullException.ThrowIfNull(svid);
        ArgumentNullException.ThrowIfNull(clientAuthorizer);
        options ??= new SigilMtlsOptions();
        var served = new ServedSvid(svid);
        var logger = listen.ApplicationServices?.GetService<ILoggerFactory>()?.CreateLogger(typeof(SigilKestrelExtensions).FullName!)
            ?? NullLogger.Instance;
        listen.UseHttps(new TlsHandshakeCallbackOptions
        {
            OnConnection = context => ValueTask.FromResult(ServerOptions(context.Connection, served, clientAuthorizer, options, logger)),
        });
        if (options.OnHandshake is { } onHandshake)
        {
            // Connection middleware added after UseHttps runs once the handshake is done.
            listen.Use(next => connection =>
            {
                Report(connection, onHandshake, logger);
                return next(connection);
            });
        }
        return listen;
    }

    private static SslServerAuthenticationOptions ServerOptions(
        ConnectionContext connection, ServedSvid served, SpiffeIdAuthorizer authorizer, SigilMtlsOptions options, ILogger logger)
    {
        var (svid, context, _) = served.Current();
        return new SslServerAuthenticationOptions
        {
            ServerCertificateContext = context,
            // Always asked for (as Kestrel's AllowCertificate mode does); whether one may be missing is decided below.
            ClientCertificateRequired = true,
            EnabledSslProtocols = SslProtocols.Tls12 | SslProtocols.Tls13,
            CertificateRevocationCheckMode = X509RevocationMode.NoCheck,
            // SslStream builds the client's chain before our callback; with the default policy it downloads the URL an
            // unauthenticated client's certificate names (AIA caIssuers), several times per handshake, stalling a
            // thread-pool thread each time. Nothing is downloaded and no root is trusted here: the callback decides.
            CertificateChainPolicy = NoDownloads(),
            // The bundle is read at each handshake, so one that gained or lost a CA applies to the next connection.
            RemoteCertificateValidationCallback = (_, certificate, chain, _) =>
                CheckClient(connection, certificate, chain, served.Source.Current.Bundle, authorizer, options, logger, svid.Id),
        };
    }

    internal static X509ChainPolicy NoDownloads() => new()
    {
        TrustMode = X509ChainTrustMode.CustomRootTrust,
        DisableCertificateDownloads = true,
        RevocationMode = X509RevocationMode.NoCheck,
    };

    private static bool CheckClient(ConnectionContext connection, X509Certificate? certificate, X509Chain? chain, TrustBundle bundle,
        SpiffeIdAuthorizer authorizer, SigilMtlsOptions options, ILogger logger, SpiffeId self)
    {
        if (certificate is null)
        {
            if (options.RequireClientCertificate)
            {
                logger.LogInformation("Refused a TLS client from {RemoteEndPoint}: it sent no client certificate", connection.RemoteEndPoint);
                return false;
            }
            return true;
        }
        // The callback's certificate belongs to the SslStream; a copy outlives it in the feature below.
        var peer = X509CertificateLoader.LoadCertificate(certificate.GetRawCertData());
        var sent = chain?.ChainPolicy.ExtraStore.Cast<X509Certificate2>().ToList() ?? [];
        var result = X509SvidValidator.Validate(peer, sent, bundle, authorizer, options.TimeProvider.GetUtcNow());
        if (!result.Succeeded)
        {
            logger.LogInformation("Refused a TLS client from {RemoteEndPoint} (certificate serial {Serial}) at {Server}: {Problem}",
                connection.RemoteEndPoint, peer.GetSerialNumberString().ToLowerInvariant(), self, result.Problem);
            peer.Dispose();
            return false;
        }
        connection.Features.Set(new SigilPeerFeature(result.Id!, peer.RawData));
        peer.Dispose();
        return true;
    }

    private static void Report(ConnectionContext connection, Action<ServerHandshakeInfo> onHandshake, ILogger logger)
    {
        var tls = connection.Features.Get<ISslStreamFeature>()?.SslStream;
        if (tls?.LocalCertificate is not { } local)
        {
            return;
        }
        var peer = connection.Features.Get<SigilPeerFeature>();
        string? clientSerial = null;
        if (tls.RemoteCertificate is { } remote)
        {
            clientSerial = remote.GetSerialNumberString().ToLowerInvariant();
        }
        var servedId = local is X509Certificate2 local2 ? Client.X509.SubjectAlternativeNames.SpiffeIdOf(local2).Id?.ToString() ?? "" : "";
        try
        {
            onHandshake(new ServerHandshakeInfo(local.GetSerialNumberString().ToLowerInvariant(), servedId, peer?.Id.ToString(), clientSerial));
        }
#pragma warning disable CA1031 // A reporting callback that throws must not take the connection down with it.
        catch (Exception e)
#pragma warning restore CA1031
        {
            logger.LogWarning("SigilMtlsOptions.OnHandshake threw {ExceptionType}; the connection goes on", e.GetType().Name);
        }
    }
}
