using System.Net;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using System.Text.Json;
using Microsoft.Extensions.Logging.Abstractions;
using Sigil.Authority;
using Sigil.Identity;
using Sigil.Issuer;
using Sigil.Issuer.Token;
using Sigil.Observability;
using Sigil.Operator;
using Sigil.Tests.Support;

namespace Sigil.Tests.Issuer;

/// <summary>
/// The issuer's listener on 127.0.0.1 and a free port, without a cluster, serving a trust snapshot the test holds and
/// may replace (a CA rotation, a new JWT key) while it runs.
/// </summary>
internal sealed class StandaloneIssuer : IAsyncDisposable
{
    private IssuerServer? _server;

    private StandaloneIssuer(TrustSnapshot trust, OperatorOptions options)
    {
        Trust = trust;
        Options = options;
    }

    /// <summary>What the issuer serves from the next request or handshake on.</summary>
    public TrustSnapshot Trust { get; set; }
    public OperatorOptions Options { get; }
    public IssuerServer Server => _server!;
    public string Url => Server.Url;
    public int Port => Server.Port;

    public static async Task<StandaloneIssuer> StartAsync(JwtSigningKey? key = null, TimeSpan? propagation = null, string? issuerUrl = null, string ns = "sigil-system",
        ITokenClients? clients = null, TokenLimits? limits = null, SigilMetrics? metrics = null, Microsoft.Extensions.Logging.ILogger? logger = null)
    {
        var options = new OperatorOptions
        {
            Namespace = ns,
            IssuerPort = 0,
            IssuerAddress = IPAddress.Loopback,
            IssuerUrl = issuerUrl,
            BundlePropagation = propagation ?? TimeSpan.FromMinutes(10),
            TokenLimits = limits ?? TokenLimits.Default,
        };
        var issuer = new StandaloneIssuer(Snapshot(NewCa(), key, options.BundlePropagation), options);
        issuer._server = await IssuerServer.StartAsync(options, () => issuer.Trust, TimeProvider.System, logger ?? NullLogger.Instance, CancellationToken.None,
            clients, metrics);
        return issuer;
    }

    public static CertificateAuthority NewCa() => CertificateAuthority.CreateRoot("cluster.local", TimeProvider.System);

    public static TrustSnapshot Snapshot(CertificateAuthority ca, JwtSigningKey? key, TimeSpan propagation, long sequence = 1) =>
        new(new AuthorityState(ca, null, null, null, false, [], null, sequence), TimeProvider.System, propagation,
            key is null ? null : new JwtKeySet(key, [key], sequence));

    /// <summary>An HTTP client that trusts only <paramref name="bundlePem"/> (default: the served snapshot's ca.crt), as a relying party given Sigil's bundle would.</summary>
    public HttpClient Client(string? bundlePem = null) => new(TrustingHandler(bundlePem ?? Trust.BundlePem)) { BaseAddress = new Uri($"https://127.0.0.1:{Port}") };

    public static SocketsHttpHandler TrustingHandler(string bundlePem)
    {
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(TrustChecks.Pem(bundlePem));
        return new SocketsHttpHandler { SslOptions = new SslClientAuthenticationOptions { CertificateChainPolicy = policy }, PooledConnectionLifetime = TimeSpan.Zero };
    }

    /// <summary>Writes the bundle where openssl and Node can read it.</summary>
    public static string WriteBundle(string bundlePem)
    {
        var folder = Directory.CreateTempSubdirectory("sigil-issuer-").FullName;
        File.WriteAllText(Path.Combine(folder, "ca.crt"), bundlePem);
        return folder;
    }

    public static JsonElement Json(string text) => JsonDocument.Parse(text).RootElement.Clone();

    public async ValueTask DisposeAsync()
    {
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}
