using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.Tokens;
using Sigil.Identity;
using Sigil.Tests.Issuer;
using Sigil.Tests.Issuer.Token;

namespace Sigil.Tests.Docs;

/// <summary>
/// The README's receiver recipes for JWT-SVIDs, run as written: ASP.NET Core's JwtBearer handler (Microsoft.IdentityModel,
/// a consumer Sigil did not write) pointed at the issuer's discovery URL, or at jwks.json from the mounted bundle.
/// </summary>
public sealed class JwtBearerRecipeTests
{
    // --- README snippet (JwtBearer against the discovery URL) ---
    private static void AddSigilJwtBearer(IServiceCollection services, string issuerUrl, string audience, string bundlePath) =>
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.Authority = issuerUrl;                  // Sigil's --issuer-url; discovery and /keys are read from it
            options.MapInboundClaims = false;               // keep "sub" (the caller's SPIFFE ID) as it is
            options.BackchannelHttpHandler = SigilBackchannel(bundlePath);
            // Look at /keys within --bundle-propagation (default 10m): a new key is published that long before it signs.
            options.AutomaticRefreshInterval = TimeSpan.FromMinutes(5);
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidAudience = audience,                   // this service, as its callers name it
                ValidTypes = ["JWT"],                       // a JWT-SVID; Sigil's access tokens are at+jwt
            };
        });

    // Trusts Sigil's CA bundle (ca.crt of the mounted sigil-trust-bundle ConfigMap) for the issuer's own certificate.
    // The file is read at each new connection: the bundle gains the next CA before that CA signs the issuer's certificate.
    private static SocketsHttpHandler SigilBackchannel(string bundlePath) => new()
    {
        PooledConnectionLifetime = TimeSpan.FromMinutes(5),
        SslOptions = new SslClientAuthenticationOptions
        {
            RemoteCertificateValidationCallback = (_, certificate, sent, errors) =>
            {
                if (certificate is null || (errors & ~SslPolicyErrors.RemoteCertificateChainErrors) != SslPolicyErrors.None)
                {
                    return false; // no certificate, or not for this host name
                }
                using var chain = new X509Chain();
                chain.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
                chain.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
                chain.ChainPolicy.CustomTrustStore.ImportFromPemFile(bundlePath);
                foreach (var element in sent?.ChainElements.Skip(1) ?? [])
                {
                    chain.ChainPolicy.ExtraStore.Add(element.Certificate);
                }
                return chain.Build(X509CertificateLoader.LoadCertificate(certificate.GetRawCertData()));
            },
        },
    };

    // --- README snippet (JwtBearer against jwks.json) ---
    private static void AddSigilJwtBearerFromFile(IServiceCollection services, string issuerUrl, string audience, string jwksPath) =>
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.MapInboundClaims = false;
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidIssuer = issuerUrl,
                ValidAudience = audience,
                ValidTypes = ["JWT"],
                // jwks.json of the mounted sigil-trust-bundle ConfigMap, read again as the kubelet updates it.
                IssuerSigningKeyResolver = (_, _, kid, _) => new JsonWebKeySet(File.ReadAllText(jwksPath)).GetSigningKeys().Where(k => k.KeyId == kid),
            };
        });
    // --- README snippet (JwtBearer for Sigil's access tokens) ---
    private static void AddSigilAccessTokens(IServiceCollection services, string issuerUrl, string audience, string bundlePath) =>
        services.AddAuthentication(JwtBearerDefaults.AuthenticationScheme).AddJwtBearer(options =>
        {
            options.Authority = issuerUrl;
            options.MapInboundClaims = false;               // keep "sub", "client_id" and "scope" as Sigil writes them
            options.BackchannelHttpHandler = SigilBackchannel(bundlePath);
            options.AutomaticRefreshInterval = TimeSpan.FromMinutes(5);
            options.TokenValidationParameters = new TokenValidationParameters
            {
                ValidAudience = audience,                   // this service's SPIFFE ID: the aud of every access token for it
                ValidTypes = ["at+jwt"],                    // an access token (RFC 9068), never a JWT-SVID (typ JWT)
            };
        });
    // --- end of README snippets ---

    [Fact]
    public async Task JwtBearer_pointed_at_the_issuer_accepts_a_JWT_SVID_of_a_published_key_and_rejects_a_wrong_audience_or_type()
    {
        using var key = JwtSigningKey.Generate(JwtSigningKey.ES256);
        using var unpublished = JwtSigningKey.Generate(JwtSigningKey.ES256);
        await using var issuer = await StandaloneIssuer.StartAsync(key);
        var bundle = Path.Combine(StandaloneIssuer.WriteBundle(issuer.Trust.BundlePem), "ca.crt");
        await using var receiver = await Receiver.StartAsync(services => AddSigilJwtBearer(services, issuer.Url, "spiffe://cluster.local/ns/shop/sa/orders", bundle));

        var accepted = await receiver.CallAsync(TestTokens.Sign(key, issuer.Url, "spiffe://cluster.local/ns/shop/sa/orders"));
        var wrongAudience = await receiver.CallAsync(TestTokens.Sign(key, issuer.Url, "spiffe://cluster.local/ns/shop/sa/billing"));
        var accessToken = await receiver.CallAsync(TestTokens.Sign(key, issuer.Url, "spiffe://cluster.local/ns/shop/sa/orders", typ: "at+jwt"));
        var otherIssuer = await receiver.CallAsync(TestTokens.Sign(key, "https://sigil.elsewhere.svc:8443", "spiffe://cluster.local/ns/shop/sa/orders"));
        var unknownKey = await receiver.CallAsync(TestTokens.Sign(unpublished, issuer.Url, "spiffe://cluster.local/ns/shop/sa/orders"));

        Assert.Equal((HttpStatusCode.OK, "spiffe://cluster.local/ns/shop/sa/payments"), accepted);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAudience.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, accessToken.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, otherIssuer.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, unknownKey.Status);
    }

    [Fact]
    public async Task The_backchannel_refuses_an_issuer_whose_certificate_the_bundle_does_not_trust()
    {
        using var key = JwtSigningKey.Generate(JwtSigningKey.ES256);
        await using var issuer = await StandaloneIssuer.StartAsync(key);
        using var stranger = StandaloneIssuer.NewCa();
        var bundle = Path.Combine(StandaloneIssuer.WriteBundle(stranger.TrustBundlePem), "ca.crt");
        await using var receiver = await Receiver.StartAsync(services => AddSigilJwtBearer(services, issuer.Url, "orders", bundle));

        var call = await receiver.CallAsync(TestTokens.Sign(key, issuer.Url, "orders"));

        Assert.Equal(HttpStatusCode.Unauthorized, call.Status);
    }

    [Fact]
    public async Task JwtBearer_reading_jwks_json_accepts_a_JWT_SVID_of_a_published_key_and_rejects_a_wrong_audience_or_type()
    {
        using var ca = StandaloneIssuer.NewCa();
        using var key = JwtSigningKey.Generate(JwtSigningKey.RS256);
        var trust = StandaloneIssuer.Snapshot(ca, key, TimeSpan.FromMinutes(10));
        var jwks = Path.Combine(StandaloneIssuer.WriteBundle(trust.BundlePem), "jwks.json");
        await File.WriteAllTextAsync(jwks, trust.Jwks);
        const string Issuer = "https://sigil.sigil-system.svc:8443";
        await using var receiver = await Receiver.StartAsync(services => AddSigilJwtBearerFromFile(services, Issuer, "orders", jwks));

        var accepted = await receiver.CallAsync(TestTokens.Sign(key, Issuer, "orders"));
        var wrongAudience = await receiver.CallAsync(TestTokens.Sign(key, Issuer, "billing"));
        var accessToken = await receiver.CallAsync(TestTokens.Sign(key, Issuer, "orders", typ: "at+jwt"));

        Assert.Equal(HttpStatusCode.OK, accepted.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, wrongAudience.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, accessToken.Status);
    }

    [Fact]
    public async Task JwtBearer_for_access_tokens_accepts_one_from_the_token_endpoint_and_rejects_a_JWT_SVID_or_another_audience()
    {
        const string Secret = "recipe-0b1c2d3e4f5a6b7c8d9e0f1a2b3c4d5e";
        var payments = TokenWorld.Client("payments");
        await using var world = await TokenWorld.StartAsync(
            [payments, TokenWorld.Receiver("orders", "shop", TokenWorld.From("payments", "orders.read")),
                TokenWorld.Receiver("billing", "shop", TokenWorld.From("payments"))],
            [TokenWorld.SecretOf(payments, Sigil.Credentials.OAuth2.ClientSecretVerifiers.Entry("k1", Secret))]);
        var bundle = Path.Combine(StandaloneIssuer.WriteBundle(world.Issuer.Trust.BundlePem), "ca.crt");
        var orders = TokenWorld.IdOf("orders");
        await using var receiver = await Receiver.StartAsync(services => AddSigilAccessTokens(services, world.Issuer.Url, orders, bundle));
        (string, string)[] Form(string audience) =>
            [("grant_type", "client_credentials"), ("client_id", TokenWorld.IdOf("payments")), ("client_secret", Secret), ("audience", audience)];

        var forOrders = (await world.PostAsync(Form("orders"))).AccessToken!;
        var forBilling = (await world.PostAsync(Form("billing"))).AccessToken!;
        var accepted = await receiver.CallAsync(forOrders);
        var otherAudience = await receiver.CallAsync(forBilling);
        var svid = await receiver.CallAsync(TestTokens.Sign(world.Key!, world.Issuer.Url, orders));

        Assert.Equal((HttpStatusCode.OK, TokenWorld.IdOf("payments")), accepted);
        Assert.Equal(HttpStatusCode.Unauthorized, otherAudience.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, svid.Status);
    }

    /// <summary>A receiving service on 127.0.0.1 (plain HTTP: the test is about the token) answering GET /whoami with the caller's sub.</summary>
    private sealed class Receiver : IAsyncDisposable
    {
        private readonly WebApplication _app;
        private readonly HttpClient _http;

        private Receiver(WebApplication app, int port)
        {
            _app = app;
            _http = new HttpClient { BaseAddress = new Uri($"http://127.0.0.1:{port}") };
        }

        public static async Task<Receiver> StartAsync(Action<IServiceCollection> authentication)
        {
            var builder = WebApplication.CreateSlimBuilder();
            builder.Logging.ClearProviders();
            builder.WebHost.ConfigureKestrel(k => k.Listen(IPAddress.Loopback, 0));
            authentication(builder.Services);
            builder.Services.AddAuthorization();
            var app = builder.Build();
            app.UseAuthentication();
            app.UseAuthorization();
            app.MapGet("/whoami", (HttpContext context) => context.Response.WriteAsync(context.User.FindFirst("sub")?.Value ?? "")).RequireAuthorization();
            await app.StartAsync();
            var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
            return new Receiver(app, new Uri(address).Port);
        }

        public async Task<(HttpStatusCode Status, string Body)> CallAsync(string token)
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "/whoami");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
            using var response = await _http.SendAsync(request);
            return (response.StatusCode, await response.Content.ReadAsStringAsync());
        }

        public async ValueTask DisposeAsync()
        {
            _http.Dispose();
            await _app.StopAsync();
            await _app.DisposeAsync();
        }
    }
}
