using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Sigil.AspNetCore;
using Sigil.Client.Jwt;
using Sigil.Client.Mounting;
using Sigil.Client.Tests.Support;
using Sigil.Identity;
using Sigil.Tests.Support;

namespace Sigil.Client.Tests.AspNetCore.Authentication.Jwt;

/// <summary>
/// AddSigilJwtSvid and AddSigilAccessToken with keys from a mounted sigil-trust-bundle folder: the two kinds never
/// pass as each other, audience, issuer, lifetime and signing key are checked, certificate-bound access tokens work
/// only over the connection with that certificate, and an unknown kid reads the folder again.
/// </summary>
public sealed class SigilJwtTests : IAsyncLifetime
{
    private static readonly string JwtSvidEndpoint = "/" + SigilAuthenticationDefaults.JwtSvidScheme;
    private static readonly string AccessTokenEndpoint = "/" + SigilAuthenticationDefaults.AccessTokenScheme;
    private static readonly string OrdersAudience = SigilWorld.Orders.ToString();
    private static readonly string PaymentsId = SigilWorld.Payments.ToString();

    private readonly SigilWorld _world = new();
    private readonly JwtSigningKey _key;
    private readonly JwtSigningKey _rsaKey;
    private readonly JwtSigningKey _unpublished;
    private JwksSource _jwks = null!;
    private SigilTestServer _server = null!;
    private IssuedSvid _clientSvid = null!;
    private HttpClient _client = null!;

    public SigilJwtTests()
    {
        _key = _world.Own(JwtSigningKey.Generate(JwtSigningKey.ES256));
        _rsaKey = _world.Own(JwtSigningKey.Generate(JwtSigningKey.RS256));
        _unpublished = _world.Own(JwtSigningKey.Generate(JwtSigningKey.ES256));
    }

    public async ValueTask InitializeAsync()
    {
        // Polled only hourly and not watched: a key can arrive only through the re-read an unknown kid triggers.
        _jwks = _world.Own(new JwksSource(_world.WriteTrustBundle("sigil-trust-bundle", _key, _rsaKey),
            new CredentialSourceOptions { PollInterval = TimeSpan.FromHours(1), WatchFileSystem = false }));
        _server = await StartAsync(_jwks, requireClientCertificate: true);
        _clientSvid = SigilWorld.Issue(_world.Ca, SigilWorld.Payments);
        _client = SigilTestServer.Client(_clientSvid, _world.Ca.TrustBundlePem);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _world.Dispose();
    }

    private Task<SigilTestServer> StartAsync(JwksSource jwks, bool requireClientCertificate) =>
        SigilTestServer.StartAsync(_world.WriteSvidFolder("orders-svid-" + Guid.NewGuid().ToString("N"), SigilWorld.Issue(_world.Ca, SigilWorld.Orders)),
            SpiffeIdAuthorizer.Any(), auth => auth
                .AddSigilJwtSvid(o =>
                {
                    o.Jwks = jwks;
                    o.ValidAudiences.Add(OrdersAudience);
                    o.ValidIssuer = TestJwts.Issuer;
                })
                .AddSigilAccessToken(o =>
                {
                    o.Jwks = jwks;
                    o.ValidAudiences.Add(OrdersAudience);
                    o.ValidIssuer = TestJwts.Issuer;
                }),
            new SigilMtlsOptions { RequireClientCertificate = requireClientCertificate }, perEndpoint: true);

    public static TheoryData<string, string> RefusedJwtSvids => new()
    {
        { "a JWT-SVID for another audience", "other-audience" },
        { "an access token (typ at+jwt) presented as a JWT-SVID", "access-token" },
        { "a token without typ", "no-typ" },
        { "a token signed by a key that is not in jwks.json", "unpublished-key" },
        { "a token naming a published kid but signed by another key", "forged-kid" },
        { "an expired JWT-SVID", "expired" },
        { "a JWT-SVID from another issuer", "other-issuer" },
        { "a JWT-SVID whose sub is not a SPIFFE ID", "sub-not-spiffe" },
        { "an unsigned token (alg none)", "alg-none" },
        { "a JWT-SVID carrying a cnf that the connection's certificate does not match", "cnf-mismatch" },
    };

    [Theory]
    [MemberData(nameof(RefusedJwtSvids))]
    public async Task The_JWT_SVID_scheme_refuses(string because, string kind)
    {
        var token = kind switch
        {
            "other-audience" => TestJwts.Sign(_key, "JWT", PaymentsId, SigilWorld.Frontend.ToString()),
            "access-token" => TestJwts.AccessToken(_key, PaymentsId, OrdersAudience),
            "no-typ" => TestJwts.WithHeader($$"""{"alg":"ES256","kid":"{{_key.KeyId}}"}""", TestJwts.Payload(PaymentsId, OrdersAudience), _key),
            "unpublished-key" => TestJwts.Sign(_unpublished, "JWT", PaymentsId, OrdersAudience),
            "forged-kid" => TestJwts.WithHeader($$"""{"alg":"ES256","kid":"{{_key.KeyId}}","typ":"JWT"}""", TestJwts.Payload(PaymentsId, OrdersAudience), _unpublished),
            "expired" => TestJwts.Sign(_key, "JWT", PaymentsId, OrdersAudience, expiresIn: TimeSpan.FromMinutes(-2)),
            "other-issuer" => TestJwts.Sign(_key, "JWT", PaymentsId, OrdersAudience, issuer: "https://sigil.elsewhere.svc:8443"),
            "sub-not-spiffe" => TestJwts.Sign(_key, "JWT", "payments", OrdersAudience),
            "alg-none" => TestJwts.WithHeader("""{"alg":"none","typ":"JWT"}""", TestJwts.Payload(PaymentsId, OrdersAudience), null),
            "cnf-mismatch" => TestJwts.Sign(_key, "JWT", PaymentsId, OrdersAudience, more: w =>
            {
                w.WriteStartObject("cnf");
                w.WriteString("x5t#S256", TestJwts.Thumbprint(SigilWorld.Issue(_world.Ca, SigilWorld.Payments)));
                w.WriteEndObject();
            }),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        Assert.True((await GetAsync(_client, JwtSvidEndpoint, token)).StatusCode == HttpStatusCode.Unauthorized, because);
    }

    public static TheoryData<string, string> RefusedAccessTokens => new()
    {
        { "a JWT-SVID (typ JWT) presented as an access token", "jwt-svid" },
        { "an access token for another audience", "other-audience" },
        { "an access token bound to another client certificate", "other-certificate" },
        { "an access token with a cnf that names no x5t#S256", "cnf-jkt" },
        { "an access token signed by a key that is not in jwks.json", "unpublished-key" },
    };

    [Theory]
    [MemberData(nameof(RefusedAccessTokens))]
    public async Task The_access_token_scheme_refuses(string because, string kind)
    {
        var token = kind switch
        {
            "jwt-svid" => TestJwts.Sign(_key, "JWT", PaymentsId, OrdersAudience),
            "other-audience" => TestJwts.AccessToken(_key, PaymentsId, SigilWorld.Frontend.ToString()),
            "other-certificate" => TestJwts.AccessToken(_key, PaymentsId, OrdersAudience, certificateThumbprint: TestJwts.Thumbprint(SigilWorld.Issue(_world.Ca, SigilWorld.Payments))),
            "cnf-jkt" => TestJwts.AccessToken(_key, PaymentsId, OrdersAudience, cnfJson: """{"jkt":"0ZcOCORZNYy-DWpqq30jZyJGHTN0d2HglBV3uiguA4I"}"""),
            "unpublished-key" => TestJwts.AccessToken(_unpublished, PaymentsId, OrdersAudience),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        Assert.True((await GetAsync(_client, AccessTokenEndpoint, token)).StatusCode == HttpStatusCode.Unauthorized, because);
    }

    [Fact]
    public async Task A_certificate_bound_access_token_over_a_connection_without_a_client_certificate_is_refused()
    {
        await using var server = await StartAsync(_jwks, requireClientCertificate: false);
        using var anonymous = SigilTestServer.Client(null, _world.Ca.TrustBundlePem);
        var bound = TestJwts.AccessToken(_key, PaymentsId, OrdersAudience, certificateThumbprint: TestJwts.Thumbprint(_clientSvid));
        var unbound = TestJwts.AccessToken(_key, PaymentsId, OrdersAudience);

        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(anonymous, AccessTokenEndpoint, bound, server)).StatusCode);
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(anonymous, AccessTokenEndpoint, unbound, server)).StatusCode);
    }

    [Fact]
    public async Task A_JWT_SVID_signed_with_ES256_or_RS256_authenticates_its_sub_as_the_user()
    {
        foreach (var key in new[] { _key, _rsaKey })
        {
            var response = await GetAsync(_client, JwtSvidEndpoint, TestJwts.Sign(key, "JWT", PaymentsId, OrdersAudience));

            Assert.Equal(HttpStatusCode.OK, response.StatusCode);
            Assert.Equal(PaymentsId, await response.Content.ReadAsStringAsync());
        }
    }

    [Fact]
    public async Task An_access_token_bound_to_this_connections_client_certificate_is_accepted()
    {
        var token = TestJwts.AccessToken(_key, PaymentsId, OrdersAudience, certificateThumbprint: TestJwts.Thumbprint(_clientSvid));

        var response = await GetAsync(_client, AccessTokenEndpoint, token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(PaymentsId, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task RequireScope_lets_through_an_access_token_granted_the_scope_and_forbids_one_without_it()
    {
        Assert.Equal(HttpStatusCode.OK, (await GetAsync(_client, "/scoped", TestJwts.AccessToken(_key, PaymentsId, OrdersAudience, scope: "orders.write orders.read"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(_client, "/scoped", TestJwts.AccessToken(_key, PaymentsId, OrdersAudience, scope: "orders.write"))).StatusCode);
        Assert.Equal(HttpStatusCode.Forbidden, (await GetAsync(_client, "/scoped", TestJwts.AccessToken(_key, PaymentsId, OrdersAudience, scope: "orders.readonly"))).StatusCode);
    }

    [Fact]
    public async Task A_token_signed_by_a_key_added_to_the_folder_since_the_last_read_is_accepted_because_its_unknown_kid_reads_the_folder_again()
    {
        using var next = JwtSigningKey.Generate(JwtSigningKey.ES256);
        var token = TestJwts.Sign(next, "JWT", PaymentsId, OrdersAudience);
        // (Not sent before the key is added: forced reads are at most one per few seconds, see MountedSigningKeysTests.)
        Assert.False(_jwks.Current.Contains(next.KeyId));

        _world.WriteTrustBundle("sigil-trust-bundle", _key, _rsaKey, next);
        Assert.False(_jwks.Current.Contains(next.KeyId), "the source must not have polled the new key in by itself");

        var response = await GetAsync(_client, JwtSvidEndpoint, token);

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal(PaymentsId, await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_logs_never_hold_a_token()
    {
        var refused = TestJwts.Sign(_key, "JWT", PaymentsId, SigilWorld.Frontend.ToString());
        var accepted = TestJwts.Sign(_key, "JWT", PaymentsId, OrdersAudience);

        await GetAsync(_client, JwtSvidEndpoint, refused);
        await GetAsync(_client, JwtSvidEndpoint, accepted);

        Assert.DoesNotContain(refused.Split('.')[2], _server.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(accepted.Split('.')[2], _server.Logs.All, StringComparison.Ordinal);
    }

    public static TheoryData<string, string, string> BadOptions => new()
    {
        { "no audience", "no-audience", "set ValidAudiences" },
        { "no key source", "no-keys", "set Jwks" },
        { "both a folder and an issuer", "both", "not both" },
        { "an http issuer", "http", "is not an https URL" },
        { "a refresh interval IdentityModel does not allow", "refresh", "KeyRefreshInterval" },
        { "a URL audience with the Any() authorizer (Sigil issues URL audiences to anyone who asks)", "url-audience", "set Authorizer" },
    };

    [Theory]
    [MemberData(nameof(BadOptions))]
    public async Task A_host_with_bad_JWT_options_does_not_start(string because, string kind, string message)
    {
        var folder = _world.WriteSvidFolder("orders-svid-bad-" + kind, SigilWorld.Issue(_world.Ca, SigilWorld.Orders));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() => SigilTestServer.StartAsync(folder, SpiffeIdAuthorizer.Any(),
            auth => auth.AddSigilJwtSvid(o =>
            {
                if (kind != "no-audience")
                {
                    o.ValidAudiences.Add(kind == "url-audience" ? "https://orders.example.com" : OrdersAudience);
                }
                if (kind is not ("no-keys" or "http" or "refresh"))
                {
                    o.Jwks = _jwks;
                }
                if (kind is "both" or "refresh")
                {
                    o.Authority = TestJwts.Issuer;
                }
                if (kind == "http")
                {
                    o.Authority = "http://sigil.sigil-system.svc:8443";
                }
                if (kind == "refresh")
                {
                    o.KeyRefreshInterval = TimeSpan.FromSeconds(30);
                }
            })));

        Assert.True(error.Message.Contains(message, StringComparison.Ordinal), $"{because}: {error.Message}");
    }

    [Fact]
    public void A_URL_audience_is_allowed_for_JWT_SVIDs_once_an_authorizer_names_the_callers()
    {
        var options = new SigilJwtOptions { Jwks = _jwks, Authorizer = SpiffeIdAuthorizer.Exact(SpiffeId.Parse(PaymentsId)) };
        options.ValidAudiences.Add("https://orders.example.com");

        Assert.Empty(options.Problems("Sigil.JwtSvid"));
    }

    private async Task<HttpResponseMessage> GetAsync(HttpClient client, string path, string token, SigilTestServer? server = null)
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, (server ?? _server).Url(path));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        return await client.SendAsync(request);
    }
}
