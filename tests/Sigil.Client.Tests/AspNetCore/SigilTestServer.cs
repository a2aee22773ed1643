using System.Net;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Sigil.AspNetCore;
using Sigil.Client.X509;
using Sigil.Identity;
using Sigil.Tests.Support;

namespace Sigil.Client.Tests.AspNetCore;

/// <summary>
/// A real Kestrel on 127.0.0.1:&lt;any port&gt; serving an SVID folder with <c>UseSigilMtls</c>, and one endpoint per
/// authentication scheme, <c>/&lt;scheme&gt;</c>, that answers with <c>User.Identity.Name</c> (GET, or POST with the
/// body's length). Clients reach it as https://orders.shop.svc:&lt;port&gt; (the server SVID's DNS name).
/// </summary>
internal sealed class SigilTestServer : IAsyncDisposable
{
    private readonly WebApplication _app;

    private SigilTestServer(WebApplication app, X509SvidSource svid, CapturedLogs logs, int port)
    {
        _app = app;
        Svid = svid;
        Logs = logs;
        Port = port;
    }

    public X509SvidSource Svid { get; }

    public CapturedLogs Logs { get; }

    public int Port { get; }

    public Uri Url(string path) => new($"https://{SigilWorld.ServerDnsName}:{Port}{path}");

    public static async Task<SigilTestServer> StartAsync(string svidFolder, SpiffeIdAuthorizer authorizer,
        Action<AuthenticationBuilder>? authentication = null, SigilMtlsOptions? mtls = null, Action<WebApplication>? endpoints = null,
        bool perEndpoint = false, string? url = null, Action<WebApplicationBuilder>? services = null, Action<WebApplication>? beforeAuthentication = null)
    {
        var svid = new X509SvidSource(svidFolder, SigilWorld.FastPolling);
        try
        {
            return await StartAsync(svid, authorizer, authentication, mtls, endpoints, perEndpoint, url, services, beforeAuthentication);
        }
        catch
        {
            svid.Dispose();
            throw;
        }
    }

    private static async Task<SigilTestServer> StartAsync(X509SvidSource svid, SpiffeIdAuthorizer authorizer,
        Action<AuthenticationBuilder>? authentication, SigilMtlsOptions? mtls, Action<WebApplication>? endpoints, bool perEndpoint, string? url,
        Action<WebApplicationBuilder>? services, Action<WebApplication>? beforeAuthentication)
    {
        var logs = new CapturedLogs();
        var builder = WebApplication.CreateBuilder(new WebApplicationOptions { ContentRootPath = AppContext.BaseDirectory, EnvironmentName = "Production" });
        builder.Services.AddSingleton<ILoggerFactory>(logs);
        if (perEndpoint)
        {
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0, listen => listen.UseSigilMtls(svid, authorizer, mtls)));
        }
        else
        {
            builder.WebHost.UseSigilMtls(svid, authorizer, mtls);
            if (url is null)
            {
                builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            }
            else
            {
                builder.WebHost.UseUrls(url);
            }
        }
        services?.Invoke(builder);
        var auth = builder.Services.AddAuthentication();
        authentication?.Invoke(auth);
        builder.Services.AddAuthorization(options =>
        {
            options.AddPolicy("orders.read", policy => policy.AddAuthenticationSchemes(SigilAuthenticationDefaults.AccessTokenScheme).RequireScope("orders.read"));
        });
        var app = builder.Build();
        beforeAuthentication?.Invoke(app);
        app.UseAuthentication();
        app.UseAuthorization();
        var schemes = await app.Services.GetRequiredService<IAuthenticationSchemeProvider>().GetAllSchemesAsync();
        foreach (var scheme in schemes)
        {
            app.MapMethods("/" + scheme.Name, ["GET", "POST"], async (HttpContext context) =>
            {
                using var body = new MemoryStream();
                await context.Request.Body.CopyToAsync(body);
                return context.Request.Method == "POST" ? $"{context.User.Identity!.Name} {body.Length}" : context.User.Identity!.Name;
            }).RequireAuthorization(new Microsoft.AspNetCore.Authorization.AuthorizeAttribute { AuthenticationSchemes = scheme.Name });
        }
        app.MapGet("/scoped", (HttpContext context) => context.User.Identity!.Name).RequireAuthorization("orders.read");
        endpoints?.Invoke(app);
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.Single();
        return new SigilTestServer(app, svid, logs, new Uri(address).Port);
    }

    /// <summary>
    /// An HttpClient that presents <paramref name="clientSvid"/> (none when null) and trusts only the PEM bundle
    /// <paramref name="trustedPem"/> for the server, whose name must be orders.shop.svc.
    /// </summary>
    public static HttpClient Client(IssuedSvid? clientSvid, string trustedPem)
    {
        var trusted = new X509Certificate2Collection();
        trusted.ImportFromPem(trustedPem);
        var handler = new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.Zero,
            ConnectCallback = async (context, ct) =>
            {
                var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
                await socket.ConnectAsync(IPAddress.Loopback, context.DnsEndPoint.Port, ct);
                return new NetworkStream(socket, ownsSocket: true);
            },
            SslOptions = new SslClientAuthenticationOptions
            {
                ClientCertificates = clientSvid is null ? null : [ClientCertificates.Leaf(clientSvid)],
                RemoteCertificateValidationCallback = (_, certificate, _, errors) =>
                {
                    if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                    {
                        return false;
                    }
                    using var chain = new X509Chain();
                    chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                    chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                    chain.ChainPolicy.CustomTrustStore.AddRange(trusted);
                    return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
                },
            },
        };
        return new HttpClient(handler) { Timeout = TimeSpan.FromSeconds(20) };
    }

    public async ValueTask DisposeAsync()
    {
        await _app.StopAsync();
        await _app.DisposeAsync();
        Svid.Dispose();
    }
}
