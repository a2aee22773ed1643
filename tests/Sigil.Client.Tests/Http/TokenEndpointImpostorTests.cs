using System.Collections.Concurrent;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sigil.AspNetCore;
using Sigil.Client.Http;
using Sigil.Client.OAuth2;
using Sigil.Client.Tests.AspNetCore;
using Sigil.Client.Tests.Support;
using Sigil.Client.X509;

namespace Sigil.Client.Tests.Http;

/// <summary>
/// A workload of the trust domain that intercepts traffic to the token endpoint holds a valid SVID of the trust domain,
/// but not one naming the endpoint's host: a client-secret client must never send it the secret.
/// </summary>
public sealed class TokenEndpointImpostorTests : IDisposable
{
    private const string Secret = "the-client-secret-0123456789";

    private readonly SigilWorld _world = new();
    private readonly KubeletFolder _oauth2 = new();
    private readonly KubeletFolder _trust = new();

    public void Dispose()
    {
        _oauth2.Dispose();
        _trust.Dispose();
        _world.Dispose();
    }

    [Fact]
    public async Task A_token_endpoint_impostor_with_an_SVID_of_the_trust_domain_but_not_the_endpoints_host_never_receives_the_secret()
    {
        var received = new ConcurrentQueue<string>();
        // orders' SVID names orders.shop.svc; the client is told the endpoint is https://127.0.0.1:<port>.
        var folder = _world.WriteSvidFolder("impostor", SigilWorld.Issue(_world.Ca, SigilWorld.Orders));
        await using var impostor = await SigilTestServer.StartAsync(folder, SpiffeIdAuthorizer.Any(), mtls: new SigilMtlsOptions { RequireClientCertificate = false },
            endpoints: app => app.MapPost("/oauth2/token", (HttpContext context) =>
            {
                received.Enqueue(context.Request.Headers.Authorization.ToString());
                return Results.Json(new { access_token = "x", token_type = "Bearer", expires_in = 300 });
            }), perEndpoint: true);
        _oauth2.Write(new Dictionary<string, string>
        {
            ["client-id"] = SigilWorld.Payments.ToString(),
            ["client-secret"] = Secret,
            ["token-endpoint"] = $"https://127.0.0.1:{impostor.Port}/oauth2/token",
        });
        _trust.Write(new Dictionary<string, string> { ["ca.crt"] = _world.Ca.TrustBundlePem });
        using var oauth2 = new OAuth2ClientSource(_oauth2.Path);
        using var trust = new TrustBundleSource(_trust.Path);
        using var client = new AccessTokenClient(oauth2, trust, "orders");

        await Assert.ThrowsAnyAsync<Exception>(async () => await client.GetTokenAsync(TestContext.Current.CancellationToken));

        Assert.Empty(received);
    }
}
