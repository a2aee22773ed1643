using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.AspNetCore.Server.Kestrel.Core;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sigil.Authority;
using Sigil.Issuer.Token;
using Sigil.Issuer.Token.ClientAuthentication;
using Sigil.Observability;
using Sigil.Operator;

namespace Sigil.Issuer;

/// <summary>
/// The token issuer's HTTPS listener, run by every replica (followers too: discovery and /keys must not go away while
/// leadership changes hands). TLS uses the issuer's own SVID, chosen per handshake, so renewals need no restart. The
/// endpoints are mapped by route: discovery and /keys, and the token endpoint (POST /oauth2/token).
/// </summary>
internal sealed class IssuerServer : IAsyncDisposable
{
    private readonly WebApplication _app;
    private readonly TokenRateLimits _limits;

    private IssuerServer(WebApplication app, TokenRateLimits limits, int port, string url, ServingCertificate certificate)
    {
        _app = app;
        _limits = limits;
        Port = port;
        Url = url;
        Certificate = certificate;
    }

    /// <summary>The port it listens on (the one asked for, or the free one picked).</summary>
    public int Port { get; }

    /// <summary>The effective issuer URL: discovery's issuer and every JWT's iss.</summary>
    public string Url { get; }

    public ServingCertificate Certificate { get; }

    /// <param name="clients">The identities the token endpoint answers from (the informer caches); none when null.</param>
    /// <param name="metrics">Where the token endpoint counts; a registry of its own when null.</param>
    public static async Task<IssuerServer> StartAsync(OperatorOptions options, Func<TrustSnapshot> trust, TimeProvider time, ILogger logger, CancellationToken ct,
        ITokenClients? clients = null, SigilMetrics? metrics = null, ClientAuthenticators? authenticators = null)
    {
        // The host of the URL does not depend on the port, so the certificate's names are known before the bind.
        var names = ServingNames.For(options.TrustDomain, options.Namespace, options.ClusterDomain, options.EffectiveIssuerUrl());
        var certificate = new ServingCertificate(trust, names, time, logger);
        string? url = null;
        var documents = new RenderedDocuments(trust, () => url!, options);
        var limits = new TokenRateLimits(options.TokenLimits);
        var tokens = new TokenEndpoint(trust, () => url!, clients ?? NoClients.Instance, authenticators ?? ClientAuthenticators.Default(), limits, options.TokenLimits,
            options.AccessTokenTtl, metrics ?? new SigilMetrics(), time, logger);
        var (app, port, failure) = await BindAsync(options.IssuerAddress, options.IssuerPort, certificate, documents, tokens, PathOf(options.EffectiveIssuerUrl()), logger, ct);
        if (app is null && options.IssuerPortFallback)
        {
            logger.LogWarning("Issuer cannot listen on {Address}:{Port} ({Error}); serving it on a free port instead (give --issuer-port to choose one)",
                options.IssuerAddress, options.IssuerPort, failure);
            (app, port, failure) = await BindAsync(options.IssuerAddress, 0, certificate, documents, tokens, PathOf(options.EffectiveIssuerUrl()), logger, ct);
        }
        if (app is null)
        {
            limits.Dispose();
            throw new InvalidOperationException($"cannot listen on port {options.IssuerPort} ({failure}): choose another with --issuer-port");
        }
        url = options.EffectiveIssuerUrl(port);
        // Issued now rather than at the first handshake: a CA that cannot sign shows in the log at start.
        certificate.Current();
        logger.LogInformation("Issuer {IssuerUrl} serving OIDC discovery, /keys and the token endpoint over HTTPS on {Address}:{Port}", url, options.IssuerAddress, port);
        return new IssuerServer(app, limits, port, url, certificate);
    }

    private static async Task<(WebApplication? App, int Port, string? Failure)> BindAsync(IPAddress address, int port, ServingCertificate certificate, RenderedDocuments documents,
        TokenEndpoint tokens, string pathPrefix, ILogger logger, CancellationToken ct)
    {
        var builder = WebApplication.CreateSlimBuilder(new WebApplicationOptions { Args = [] });
        builder.Logging.ClearProviders();
        builder.Services.AddSingleton<Microsoft.Extensions.Hosting.IHostLifetime, EmbeddedLifetime>();
        builder.WebHost.ConfigureKestrel(k =>
        {
            k.AddServerHeader = false;
            k.Listen(address, port, listen =>
            {
                listen.Protocols = HttpProtocols.Http1AndHttp2;
                listen.UseHttps(new TlsHandshakeCallbackOptions
                {
                    // Per connection: the certificate context current at this handshake. The token endpoint's mTLS
                    // (tls_client_auth) asks for client certificates here too.
                    OnConnection = c => ValueTask.FromResult(Handshake(certificate, logger, c.Connection.Items)),
                });
            });
        });
        var app = builder.Build();
        DiscoveryEndpoints.Map(app, pathPrefix, documents.Current);
        tokens.Map(app, pathPrefix);
        try
        {
            await app.StartAsync(ct);
        }
        catch (IOException e)
        {
            await app.DisposeAsync();
            return (null, port, e.Message);
        }
        var bound = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return (app, BindingAddress.Parse(bound).Port, null);
    }

    private static SslServerAuthenticationOptions Handshake(ServingCertificate certificate, ILogger logger, IDictionary<object, object?> connectionItems)
    {
        try
        {
            return new SslServerAuthenticationOptions
            {
                ServerCertificateContext = certificate.Current(),
                ApplicationProtocols = [SslApplicationProtocol.Http2, SslApplicationProtocol.Http11],
                // tls_client_auth (RFC 8705): ask every client for a certificate, require none. In SslStream "required" is the
                // switch that sends the CertificateRequest; the callback below then accepts any answer, none included, so
                // discovery, /keys and the secret and assertion methods work as before. Whether a certificate authenticates
                // anyone is decided per request by TlsClientAuth against the bundle of that moment, not here at the
                // handshake, so a CA rotation needs no new TLS settings and a dropped CA stops working at once.
                ClientCertificateRequired = true,
                // SslStream builds the client's chain before the callback; unset, .NET 10 would download intermediates from a
                // URL the client's certificate names (AIA): any client could make every replica fetch an address it chose.
                CertificateChainPolicy = new X509ChainPolicy
                {
                    TrustMode = X509ChainTrustMode.CustomRootTrust,
                    DisableCertificateDownloads = true,
                    RevocationMode = X509RevocationMode.NoCheck,
                },
#pragma warning disable CA5359 // Deliberate, see above: these are client certificates, checked by TlsClientAuth per request.
                RemoteCertificateValidationCallback = (_, presented, chain, _) =>
                {
                    if (presented is not null && chain is not null)
                    {
                        connectionItems[ClientChainItem] = SentIntermediates(presented, chain);
                    }
                    return true;
                },
#pragma warning restore CA5359
            };
        }
        catch (Exception e)
        {
            // Every handshake fails the same way while the CA cannot sign: say so once a minute, not once per connection.
            var now = Environment.TickCount64;
            var last = Interlocked.Read(ref s_lastHandshakeWarning);
            if (now - last >= 60_000 && Interlocked.CompareExchange(ref s_lastHandshakeWarning, now, last) == last)
            {
                logger.LogWarning("Issuer could not serve a certificate for a TLS handshake (said at most once a minute): {Error}", e.Message);
            }
            throw;
        }
    }

    private static long s_lastHandshakeWarning = long.MinValue / 2;

    private static readonly object ClientChainItem = new();

    /// <summary>The certificates the TLS client sent after its own (SslStream puts what the peer sent in the chain's extra
    /// store), copied: the chain is disposed after the callback. A few more than any real chain, so the validator sees
    /// an overlong one and names it.</summary>
    private static X509Certificate2[] SentIntermediates(System.Security.Cryptography.X509Certificates.X509Certificate presented, X509Chain chain)
    {
        var leaf = presented.GetRawCertData();
        return [.. chain.ChainPolicy.ExtraStore
            .Where(c => !c.RawData.AsSpan().SequenceEqual(leaf))
            .Take(Token.ClientAuthentication.SvidClientCertificateValidator.MaxIntermediates + 1)
            .Select(c => X509CertificateLoader.LoadCertificate(c.RawData))];
    }

    /// <summary>What <see cref="SentIntermediates"/> kept for the request's connection; empty without a client certificate.</summary>
    public static IReadOnlyList<X509Certificate2> ClientCertificateChain(HttpContext context) =>
        context.Features.Get<Microsoft.AspNetCore.Connections.Features.IConnectionItemsFeature>()?.Items.TryGetValue(ClientChainItem, out var chain) == true
            && chain is X509Certificate2[] certificates ? certificates : [];

    private static string PathOf(string issuerUrl) => new Uri(issuerUrl).AbsolutePath.TrimEnd('/');

    public async ValueTask DisposeAsync()
    {
        // Like the monitoring listeners: a moment for requests in flight, then connections close.
        using var grace = new CancellationTokenSource(TimeSpan.FromSeconds(1));
        await _app.StopAsync(grace.Token);
        await _app.DisposeAsync();
        _limits.Dispose();
    }

    /// <summary>An issuer with no identities (tests of discovery alone): every client is unknown.</summary>
    private sealed class NoClients : ITokenClients
    {
        public static readonly NoClients Instance = new();

        public string TrustDomain => "";

        public IReadOnlyList<TokenClient> WithClientId(string clientId) => [];

        public IReadOnlyList<Api.ServiceIdentity> Receivers(string target, Api.ServiceIdentity caller) => [];
    }

    /// <summary>The documents for the snapshot now held, rendered again only when the snapshot is replaced.</summary>
    private sealed class RenderedDocuments(Func<TrustSnapshot> trust, Func<string> url, OperatorOptions options)
    {
        private volatile Rendered? _rendered;

        public IssuerDocuments Current()
        {
            var snapshot = trust();
            var rendered = _rendered;
            if (rendered is not null && ReferenceEquals(rendered.Snapshot, snapshot))
            {
                return rendered.Documents;
            }
            // Two requests racing past a change render the same bytes twice; cheaper than a lock on every request.
            var documents = IssuerDocuments.Render(url(), options.JwtKeyAlgorithm, snapshot, options.BundlePropagation);
            _rendered = new Rendered(snapshot, documents);
            return documents;
        }

        private sealed record Rendered(TrustSnapshot Snapshot, IssuerDocuments Documents);
    }
}
