using System.Net;
using System.Net.Http.Headers;
using System.Text;
using System.Text.Json;
using k8s.Models;
using Sigil.Api;
using Sigil.AspNetCore;
using Sigil.Client.X509;
using Sigil.Tests.Support;

namespace Sigil.Client.Tests.AspNetCore.Authentication.Jwt;

/// <summary>
/// Real tokens from a running operator (the JWT-SVID in &lt;name&gt;-jwt, an access token from its token endpoint)
/// checked by the schemes configured against its issuer URL: discovery and /keys read over TLS trusted by the bundle.
/// </summary>
public sealed class SigilJwtWithOperatorTests : IDisposable
{
    private readonly SigilWorld _world = new();

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task Against_the_issuers_discovery_URL_the_JWT_SVID_and_the_access_token_each_pass_only_their_own_scheme()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var ns = await cluster.CreateNamespaceAsync();
        await op.CreateAsync(ns, new ServiceIdentity
        {
            Metadata = new V1ObjectMeta { Name = "orders" },
            Spec = new ServiceIdentitySpec { AcceptsFrom = [new AcceptedCaller { ServiceIdentity = "payments", Scopes = ["orders.read"] }] },
        });
        await op.CreateAsync(ns, new ServiceIdentity
        {
            Metadata = new V1ObjectMeta { Name = "payments" },
            Spec = new ServiceIdentitySpec
            {
                Jwt = new JwtSpec { Audiences = [new JwtAudienceSpec { Name = "orders", Audience = "orders" }] },
                OAuth2 = new OAuth2Spec { ClientSecret = new OAuth2ClientSecretSpec { Rotation = new RotationSpec { Every = "720h", GracePeriod = "1h" } } },
            },
        });
        await op.WaitForAsync(ns, "payments", Reasons.Issued, i => i.Status?.Jwt?.Audiences is { Count: 1 } && i.Status?.OAuth2?.CurrentKeyId is not null);
        var payments = $"spiffe://cluster.local/ns/{ns}/sa/payments";
        var orders = $"spiffe://cluster.local/ns/{ns}/sa/orders";
        var jwtSvid = OperatorUnderTest.Text((await op.SecretAsync(ns, "payments-jwt"))!, "orders.jwt");
        var bundle = TrustBundle.FromPem(op.Host!.Trust!.BundlePem, "the operator's bundle");
        var accessToken = await AccessTokenAsync((await op.SecretAsync(ns, "payments-oauth2"))!, bundle);

        await using var server = await SigilTestServer.StartAsync(
            _world.WriteSvidFolder("orders-svid", SigilWorld.Issue(_world.Ca, SigilWorld.Orders)), SpiffeIdAuthorizer.Any(), auth => auth
                .AddSigilJwtSvid(o => Configure(o, op.Host.IssuerUrl!, bundle, orders))
                .AddSigilAccessToken(o => Configure(o, op.Host.IssuerUrl!, bundle, orders)));
        using var client = SigilTestServer.Client(SigilWorld.Issue(_world.Ca, SigilWorld.Payments), _world.Ca.TrustBundlePem);

        Assert.Equal((HttpStatusCode.OK, payments), await GetAsync(client, server, "/" + SigilAuthenticationDefaults.JwtSvidScheme, jwtSvid));
        Assert.Equal((HttpStatusCode.OK, payments), await GetAsync(client, server, "/" + SigilAuthenticationDefaults.AccessTokenScheme, accessToken));
        Assert.Equal((HttpStatusCode.OK, payments), await GetAsync(client, server, "/scoped", accessToken));
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(client, server, "/" + SigilAuthenticationDefaults.JwtSvidScheme, accessToken)).Status);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(client, server, "/" + SigilAuthenticationDefaults.AccessTokenScheme, jwtSvid)).Status);
    }

    private static void Configure(SigilJwtOptions options, string issuer, TrustBundle bundle, string audience)
    {
        options.Authority = issuer;
        options.BackchannelHttpHandler = SigilIssuerBackchannel.Create(() => bundle);
        options.ValidAudiences.Add(audience);
    }

    private static async Task<string> AccessTokenAsync(V1Secret secret, TrustBundle bundle)
    {
        using var http = new HttpClient(SigilIssuerBackchannel.Create(() => bundle));
        var id = OperatorUnderTest.Text(secret, "client-id");
        using var request = new HttpRequestMessage(HttpMethod.Post, OperatorUnderTest.Text(secret, "token-endpoint"))
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials"), KeyValuePair.Create("audience", "orders")]),
        };
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(
            $"{Uri.EscapeDataString(id)}:{Uri.EscapeDataString(OperatorUnderTest.Text(secret, "client-secret"))}")));
        using var response = await http.SendAsync(request);
        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        return JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("access_token").GetString()!;
    }

    private static async Task<(HttpStatusCode Status, string Body)> GetAsync(HttpClient client, SigilTestServer server, string path, string token)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Url(path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using var response = await client.SendAsync(request);
        return (response.StatusCode, await response.Content.ReadAsStringAsync());
    }
}
