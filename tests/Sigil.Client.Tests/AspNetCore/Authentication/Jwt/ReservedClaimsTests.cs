using System.Net.Http.Headers;
using System.Security.Claims;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Sigil.AspNetCore;
using Sigil.Client.Jwt;
using Sigil.Client.Mounting;
using Sigil.Identity;

namespace Sigil.Client.Tests.AspNetCore.Authentication.Jwt;

/// <summary>
/// A caller writes its own JWT-SVID's payload (any claims it asks for, or a URL audience's issuer): claims named like
/// the ones Sigil sets (spiffe_id, sigil_key_id, the name claim) must not reach the user next to the real ones.
/// </summary>
public sealed class ReservedClaimsTests : IDisposable
{
    private readonly SigilWorld _world = new();

    public void Dispose() => _world.Dispose();

    [Fact]
    public async Task Payload_claims_named_like_Sigils_own_are_dropped_and_the_user_carries_only_the_real_ones()
    {
        const string audience = "spiffe://cluster.local/ns/shop/sa/orders";
        const string admin = "spiffe://cluster.local/ns/shop/sa/admin";
        var key = _world.Own(JwtSigningKey.Generate(JwtSigningKey.ES256));
        using var jwks = new JwksSource(_world.WriteTrustBundle("bundle", key), new CredentialSourceOptions { WatchFileSystem = false });
        var folder = _world.WriteSvidFolder("orders-claims", SigilWorld.Issue(_world.Ca, SigilWorld.Orders));
        await using var server = await SigilTestServer.StartAsync(folder, SpiffeIdAuthorizer.Any(), auth => auth.AddSigilJwtSvid(o =>
        {
            o.Jwks = jwks;
            o.ValidAudiences.Add(audience);
            o.ValidIssuer = TestJwts.Issuer;
        }), endpoints: app => app.MapGet("/claims", (HttpContext context) => string.Join(";",
            new[] { SigilAuthenticationDefaults.SpiffeIdClaim, SigilAuthenticationDefaults.KeyIdClaim, ClaimTypes.Name }
                .SelectMany(type => context.User.FindAll(type).Select(c => $"{type}={c.Value}"))))
            .RequireAuthorization(new AuthorizeAttribute { AuthenticationSchemes = SigilAuthenticationDefaults.JwtSvidScheme }));
        var token = TestJwts.Sign(key, "JWT", SigilWorld.Payments.ToString(), audience, more: w =>
        {
            w.WriteString(SigilAuthenticationDefaults.SpiffeIdClaim, admin);
            w.WriteString(SigilAuthenticationDefaults.KeyIdClaim, "forged");
            w.WriteString(ClaimTypes.Name, admin);
        });
        using var client = SigilTestServer.Client(SigilWorld.Issue(_world.Ca, SigilWorld.Payments), _world.Ca.TrustBundlePem);
        using var request = new HttpRequestMessage(HttpMethod.Get, server.Url("/claims"));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);

        using var response = await client.SendAsync(request);
        var claims = await response.Content.ReadAsStringAsync();

        Assert.Equal($"{SigilAuthenticationDefaults.SpiffeIdClaim}={SigilWorld.Payments};{ClaimTypes.Name}={SigilWorld.Payments}", claims);
    }
}
