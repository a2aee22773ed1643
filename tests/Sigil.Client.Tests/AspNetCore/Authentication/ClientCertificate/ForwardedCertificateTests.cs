using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;
using Sigil.AspNetCore;
using Sigil.Client.Jwt;
using Sigil.Client.Mounting;
using Sigil.Client.Tests.AspNetCore.Authentication.Jwt;
using Sigil.Client.X509;
using Sigil.Identity;

namespace Sigil.Client.Tests.AspNetCore.Authentication.ClientCertificate;

/// <summary>
/// With ASP.NET's CertificateForwarding middleware, the "client certificate" of a request can come from a header. A
/// victim's certificate is public, so an attacker on a connection without a client certificate forges the header: it
/// must neither authenticate as the victim nor satisfy a stolen token's cnf.
/// </summary>
public sealed class ForwardedCertificateTests : IDisposable
{
    private const string Header = "X-Client-Cert";

    private readonly SigilWorld _world = new();

    public void Dispose() => _world.Dispose();

    private async Task<SigilTestServer> ServerAsync(Action<Microsoft.AspNetCore.Authentication.AuthenticationBuilder> authentication)
    {
        var folder = _world.WriteSvidFolder("orders-forwarding", SigilWorld.Issue(_world.Ca, SigilWorld.Orders));
        return await SigilTestServer.StartAsync(folder, SpiffeIdAuthorizer.Any(), authentication,
            new SigilMtlsOptions { RequireClientCertificate = false }, perEndpoint: true,
            services: builder => builder.Services.AddCertificateForwarding(o => o.CertificateHeader = Header),
            beforeAuthentication: app => app.UseCertificateForwarding());
    }

    private static HttpRequestMessage Forged(SigilTestServer server, string path, byte[] victimCertificate, string? token = null)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, server.Url(path));
        request.Headers.Add(Header, Convert.ToBase64String(victimCertificate));
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }
        return request;
    }

    [Fact]
    public async Task A_forged_forwarded_header_with_a_victims_public_certificate_does_not_authenticate_as_the_victim()
    {
        var victim = SigilWorld.Issue(_world.Ca, SigilWorld.Payments);
        using var bundleSource = new X509SvidSource(_world.WriteSvidFolder("orders-bundle", SigilWorld.Issue(_world.Ca, SigilWorld.Orders)));
        await using var server = await ServerAsync(auth => auth.AddSigilClientCertificate(configure: o => o.Svid = bundleSource));
        using var attacker = SigilTestServer.Client(null, _world.Ca.TrustBundlePem);
        using var certificate = ClientCertificates.Leaf(victim);

        using var response = await attacker.SendAsync(Forged(server, "/" + SigilAuthenticationDefaults.ClientCertificateScheme, certificate.RawData));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task A_forged_forwarded_header_with_a_victims_public_certificate_does_not_satisfy_a_stolen_tokens_cnf()
    {
        var victim = SigilWorld.Issue(_world.Ca, SigilWorld.Payments);
        using var certificate = ClientCertificates.Leaf(victim);
        var key = _world.Own(JwtSigningKey.Generate(JwtSigningKey.ES256));
        using var jwks = new JwksSource(_world.WriteTrustBundle("sigil-trust-bundle", key), new CredentialSourceOptions { WatchFileSystem = false });
        const string audience = "spiffe://cluster.local/ns/shop/sa/orders";
        await using var server = await ServerAsync(auth => auth.AddSigilAccessToken(o =>
        {
            o.Jwks = jwks;
            o.ValidAudiences.Add(audience);
            o.ValidIssuer = TestJwts.Issuer;
        }));
        var stolen = TestJwts.AccessToken(key, SigilWorld.Payments.ToString(), audience,
            certificateThumbprint: System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(certificate.RawData)));
        using var attacker = SigilTestServer.Client(null, _world.Ca.TrustBundlePem);

        using var response = await attacker.SendAsync(Forged(server, "/" + SigilAuthenticationDefaults.AccessTokenScheme, certificate.RawData, stolen));

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }
}
