// Orders: serves GET /hello over mTLS to services of its trust domain that also present a Sigil API key or HMAC
// signature (or, with --trust-bundle, a JWT-SVID), and answers with the caller's SPIFFE ID. Every credential is read
// from folders kept by the kubelet (or `sigil mount`) and reloaded when they change: nothing restarts on rotation.
//
//   dotnet run --project examples/dotnet/Orders -- --svid DIR --verifiers DIR --urls https://127.0.0.1:8443 [--trust-bundle DIR]
using System.Collections.Concurrent;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Authorization;
using Sigil.AspNetCore;
using Sigil.Client;
using Sigil.Client.ApiKeys;
using Sigil.Client.Jwt;
using Sigil.Client.X509;

var builder = WebApplication.CreateBuilder(args);
string Folder(string name) => builder.Configuration[name] ?? throw new ArgumentException($"--{name} DIR is required");
using var svid = new X509SvidSource(Folder("svid"));
using var verifiers = new VerifierKeysSource(Folder("verifiers"));
using var jwks = builder.Configuration["trust-bundle"] is { } bundle ? new JwksSource(bundle) : null;

// mTLS: only clients of our own trust domain connect. Each handshake is counted under the certificate we served.
var handshakes = new ConcurrentDictionary<string, int>();
builder.WebHost.UseSigilMtls(svid, SpiffeIdAuthorizer.MemberOf(svid.Current.Id.TrustDomain), new SigilMtlsOptions
{
    OnHandshake = h => handshakes.AddOrUpdate(h.ServedCertificateSerial, 1, (_, n) => n + 1),
});

// On top of the certificate, each request carries a key (Bearer or HMAC) or a JWT-SVID for us.
string[] schemes = jwks is null
    ? [SigilAuthenticationDefaults.ApiKeyScheme, SigilAuthenticationDefaults.HmacScheme]
    : [SigilAuthenticationDefaults.ApiKeyScheme, SigilAuthenticationDefaults.HmacScheme, SigilAuthenticationDefaults.JwtSvidScheme];
var authentication = builder.Services.AddAuthentication()
    .AddSigilClientCertificate()
    .AddSigilApiKey(o => o.Verifiers = verifiers)
    .AddSigilHmac(o => o.Verifiers = verifiers);
if (jwks is not null)
{
    authentication.AddSigilJwtSvid(o => { o.Jwks = jwks; o.ValidAudiences.Add(svid.Current.Id.ToString()); });
}
builder.Services.AddAuthorization(o => o.DefaultPolicy = new AuthorizationPolicyBuilder(schemes).RequireAuthenticatedUser().Build());

var app = builder.Build();
app.UseAuthentication();
app.UseAuthorization();

// The key (or token) must belong to the service whose certificate opened the connection.
app.MapGet("/hello", async (HttpContext http) =>
{
    var certificate = await http.AuthenticateAsync(SigilAuthenticationDefaults.ClientCertificateScheme);
    return certificate.Principal?.Identity?.Name == http.User.Identity?.Name
        ? Results.Text($"hello {http.User.Identity?.Name}\n")
        : Results.StatusCode(StatusCodes.Status403Forbidden);
}).RequireAuthorization();

// Serial numbers are not secret: how many TLS handshakes each certificate we served took part in.
app.MapGet("/handshakes", () => Results.Json(handshakes.ToDictionary())).RequireAuthorization();

app.Run();
