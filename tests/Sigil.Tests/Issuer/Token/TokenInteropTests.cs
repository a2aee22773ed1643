using System.Net;
using System.Text.Json;
using Duende.IdentityModel.Client;
using Sigil.Credentials.OAuth2;
using Sigil.Tests.Support;
using static Sigil.Tests.Issuer.Token.TokenWorld;

namespace Sigil.Tests.Issuer.Token;

/// <summary>
/// The token endpoint as clients we did not write use it: <c>openid-client</c> (npm) discovering the issuer and running the
/// client-credentials grant with client_secret_basic, <c>Duende.IdentityModel</c> with client_secret_post, curl with
/// <c>--data-urlencode</c> (the README's commands), and <c>jose</c> verifying what they got as an RFC 9068 access token.
/// </summary>
public sealed class TokenInteropTests
{
    private const string Secret = "interop-5b0c7e2a9d4f6183a7c5e9b1d3f2a4c6";
    private static readonly string PaymentsId = IdOf("payments");

    private static async Task<TokenWorld> ShopAsync()
    {
        var payments = Client("payments");
        return await StartAsync(
            [payments, Receiver("orders", "shop", From("payments", "orders.read", "orders.write"))],
            [SecretOf(payments, ClientSecretVerifiers.Entry("k1", Secret))]);
    }

    private const string OpenIdClientScript = """
        import * as client from 'openid-client';

        let text = '';
        for await (const chunk of process.stdin) text += chunk;
        const input = JSON.parse(text);
        const out = {};
        try {
          const config = await client.discovery(new URL(input.issuer), input.clientId, undefined, client.ClientSecretBasic(input.secret));
          out.tokenEndpoint = config.serverMetadata().token_endpoint;
          const tokens = await client.clientCredentialsGrant(config, { audience: 'orders', scope: 'orders.read' });
          out.token = tokens.access_token;
          out.tokenType = tokens.token_type;
          out.expiresIn = tokens.expires_in;
          out.scope = tokens.scope;
          try {
            const bad = await client.discovery(new URL(input.issuer), input.clientId, undefined, client.ClientSecretBasic('wrong-' + input.secret));
            await client.clientCredentialsGrant(bad, { audience: 'orders' });
            out.wrong = 'accepted';
          } catch (e) {
            out.wrong = e.error ?? e.code ?? String(e);
            out.wrongStatus = e.status;
          }
        } catch (e) {
          out.failure = `${e.name}: ${e.code ?? ''} ${e.error ?? ''} ${e.error_description ?? e.message}`;
        }
        process.stdout.write(JSON.stringify(out));
        """;

    private static async Task<IReadOnlyList<VerifiedAccessToken>> JoseAsync(TokenWorld world, string typ, string audience, params string[] tokens) =>
        await JwtConsumers.JoseAccessTokensAsync(world.Issuer.Trust.Jwks, world.Issuer.Url, typ, audience, tokens);

    [Fact]
    public async Task Openid_client_discovers_the_issuer_and_gets_a_token_with_client_secret_basic_that_jose_verifies_as_an_access_token()
    {
        await using var world = await ShopAsync();
        var bundle = Path.Combine(StandaloneIssuer.WriteBundle(world.Issuer.Trust.BundlePem), "ca.crt");

        var run = await NodePackages.RunScriptAsync(NodePackages.OpenIdClient, OpenIdClientScript,
            JsonSerializer.Serialize(new { issuer = world.Issuer.Url, clientId = PaymentsId, secret = Secret }),
            new Dictionary<string, string> { ["NODE_EXTRA_CA_CERTS"] = bundle });
        Assert.True(run.ExitCode == 0, $"node exited {run.ExitCode}: {run.Stderr.Trim()}");
        var result = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.False(result.TryGetProperty("failure", out var failure), failure.ToString());
        var token = result.GetProperty("token").GetString()!;
        var verified = await JoseAsync(world, "at+jwt", IdOf("orders"), token);
        var asSvid = await JoseAsync(world, "JWT", IdOf("orders"), token);

        Assert.Equal(world.Issuer.Url + "/oauth2/token", result.GetProperty("tokenEndpoint").GetString());
        Assert.Equal("bearer", result.GetProperty("tokenType").GetString());
        Assert.Equal(900, result.GetProperty("expiresIn").GetInt32());
        Assert.Equal("orders.read", result.GetProperty("scope").GetString());
        // RFC 6749 5.2: a failed client_secret_basic is a 401 with a Basic challenge, which openid-client reports as a challenge.
        Assert.Equal("OAUTH_WWW_AUTHENTICATE_CHALLENGE", result.GetProperty("wrong").GetString());
        Assert.Equal(401, result.GetProperty("wrongStatus").GetInt32());
        Assert.True(verified[0].Ok, verified[0].Error);
        Assert.Equal("at+jwt", verified[0].Typ);
        Assert.Equal(PaymentsId, verified[0].Sub);
        Assert.Equal(PaymentsId, verified[0].ClientId);
        Assert.Equal(IdOf("orders"), verified[0].Aud);
        Assert.Equal("orders.read", verified[0].Scope);
        // A receiver expecting a JWT-SVID (typ JWT) does not take an access token for one.
        Assert.False(asSvid[0].Ok);
        Assert.Equal(1, world.Metrics.TokensIssued.WithLabels("client_secret_basic").Value);
    }

    [Theory]
    [InlineData(ClientCredentialStyle.PostBody, "client_secret_post")]
    [InlineData(ClientCredentialStyle.AuthorizationHeader, "client_secret_basic")]
    public async Task Duende_IdentityModel_gets_a_token_through_discovery(ClientCredentialStyle style, string method)
    {
        await using var world = await ShopAsync();
        using var http = new HttpClient(StandaloneIssuer.TrustingHandler(world.Issuer.Trust.BundlePem));

        var discovery = await http.GetDiscoveryDocumentAsync(new DiscoveryDocumentRequest
        {
            Address = world.Issuer.Url,
            Policy = new DiscoveryPolicy { RequireKeySet = true },
        });
        Assert.False(discovery.IsError, discovery.Error);
        var response = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = discovery.TokenEndpoint,
            ClientId = PaymentsId,
            ClientSecret = Secret,
            ClientCredentialStyle = style,
            Scope = "orders.write",
            Parameters = { { "audience", "orders" } },
        });
        var wrong = await http.RequestClientCredentialsTokenAsync(new ClientCredentialsTokenRequest
        {
            Address = discovery.TokenEndpoint,
            ClientId = PaymentsId,
            ClientSecret = "wrong",
            ClientCredentialStyle = style,
            Parameters = { { "audience", "orders" } },
        });

        Assert.False(response.IsError, $"{response.Error}: {response.ErrorDescription}");
        Assert.Equal("Bearer", response.TokenType);
        Assert.Equal(900, response.ExpiresIn);
        Assert.Equal("orders.write", response.Scope);
        var verified = await JoseAsync(world, "at+jwt", IdOf("orders"), response.AccessToken!);
        Assert.True(verified[0].Ok, verified[0].Error);
        Assert.Equal("orders.write", verified[0].Scope);
        // Duende reads RFC 6749 error bodies on 400 only; a 401 is an HTTP error, with the body kept raw.
        Assert.True(wrong.IsError);
        Assert.Equal(HttpStatusCode.Unauthorized, wrong.HttpStatusCode);
        Assert.Contains("\"error\":\"invalid_client\"", wrong.Raw, StringComparison.Ordinal);
        Assert.Equal(1, world.Metrics.TokensIssued.WithLabels(method).Value);
    }

    [Fact]
    public async Task Curl_with_data_urlencode_as_in_the_README_gets_a_token_and_naive_basic_auth_is_refused()
    {
        await using var world = await ShopAsync();
        var bundle = Path.Combine(StandaloneIssuer.WriteBundle(world.Issuer.Trust.BundlePem), "ca.crt");
        var endpoint = world.Issuer.Url + "/oauth2/token";

        // client_secret_post, exactly as the README shows it.
        var post = await ProcessRunner.RunAsync("curl", ["-sS", "--cacert", bundle,
            "--data-urlencode", "grant_type=client_credentials", "--data-urlencode", $"client_id={PaymentsId}",
            "--data-urlencode", $"client_secret={Secret}", "-d", "audience=orders", endpoint]);
        // client_secret_basic with the id form-urlencoded first (RFC 6749 2.3.1), as the README shows it.
        var basic = await ProcessRunner.RunAsync("curl", ["-sS", "--cacert", bundle, "-u", $"{Uri.EscapeDataString(PaymentsId)}:{Secret}",
            "-d", "grant_type=client_credentials", "-d", "audience=orders", "-d", "scope=orders.read", endpoint]);
        // What not to do: curl -u with the raw SPIFFE ID.
        var naive = await ProcessRunner.RunAsync("curl", ["-sS", "--cacert", bundle, "-u", $"{PaymentsId}:{Secret}", "-w", "\n%{http_code}",
            "-d", "grant_type=client_credentials", "-d", "audience=orders", endpoint]);

        Assert.True(post.ExitCode == 0, post.Stderr);
        var postToken = JsonDocument.Parse(post.Stdout).RootElement.GetProperty("access_token").GetString()!;
        var basicToken = JsonDocument.Parse(basic.Stdout).RootElement.GetProperty("access_token").GetString()!;
        var verified = await JoseAsync(world, "at+jwt", IdOf("orders"), postToken, basicToken);
        Assert.True(verified[0].Ok, verified[0].Error);
        Assert.Equal("orders.read orders.write", verified[0].Scope);
        Assert.True(verified[1].Ok, verified[1].Error);
        Assert.Equal("orders.read", verified[1].Scope);
        var naiveLines = naive.Stdout.Split('\n');
        Assert.Equal("401", naiveLines[^1]);
        Assert.Equal("invalid_client", JsonDocument.Parse(naiveLines[0]).RootElement.GetProperty("error").GetString());
    }
}
