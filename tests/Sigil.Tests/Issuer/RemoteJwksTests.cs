using System.Text.Json;
using Sigil.Identity;
using Sigil.Tests.Support;

namespace Sigil.Tests.Issuer;

/// <summary>
/// The <c>jose</c> npm package as a relying party would use it: read the discovery document over HTTPS (trusting Sigil's
/// bundle through NODE_EXTRA_CA_CERTS), hand its <c>jwks_uri</c> to <c>createRemoteJWKSet</c>, and verify tokens.
/// </summary>
public sealed class RemoteJwksTests
{
    private const string Verifier = """
        import * as jose from 'jose';

        let text = '';
        for await (const chunk of process.stdin) text += chunk;
        const input = JSON.parse(text);
        const discovery = await (await fetch(input.discovery)).json();
        const jwks = jose.createRemoteJWKSet(new URL(discovery.jwks_uri));
        const results = {};
        for (const [name, token] of Object.entries(input.tokens)) {
          try {
            const { payload, protectedHeader } = await jose.jwtVerify(token, jwks, { issuer: discovery.issuer, audience: input.audience, typ: 'JWT' });
            results[name] = { sub: payload.sub, kid: protectedHeader.kid };
          } catch (e) { results[name] = { error: e.code ?? String(e) }; }
        }
        process.stdout.write(JSON.stringify({ issuer: discovery.issuer, jwksUri: discovery.jwks_uri, results }));
        """;

    [Fact]
    public async Task Jose_verifies_a_token_signed_by_a_published_key_through_the_discovery_documents_jwks_uri_and_rejects_the_rest()
    {
        using var published = JwtSigningKey.Generate(JwtSigningKey.ES256);
        using var unpublished = JwtSigningKey.Generate(JwtSigningKey.ES256);
        await using var issuer = await StandaloneIssuer.StartAsync(published);

        var report = await VerifyAsync(issuer.Trust.BundlePem, issuer.Url, "orders", new Dictionary<string, string>
        {
            ["good"] = TestTokens.Sign(published, issuer.Url, "orders"),
            ["wrong audience"] = TestTokens.Sign(published, issuer.Url, "billing"),
            ["wrong issuer"] = TestTokens.Sign(published, "https://sigil.elsewhere.svc:8443", "orders"),
            ["an access token (typ at+jwt)"] = TestTokens.Sign(published, issuer.Url, "orders", typ: "at+jwt"),
            ["a key never published"] = TestTokens.Sign(unpublished, issuer.Url, "orders"),
        });
        var results = report.GetProperty("results");

        Assert.Equal(issuer.Url, report.GetProperty("issuer").GetString());
        Assert.Equal(issuer.Url + "/keys", report.GetProperty("jwksUri").GetString());
        Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", results.GetProperty("good").GetProperty("sub").GetString());
        Assert.Equal(published.KeyId, results.GetProperty("good").GetProperty("kid").GetString());
        Assert.Equal("ERR_JWT_CLAIM_VALIDATION_FAILED", Error(results, "wrong audience"));
        Assert.Equal("ERR_JWT_CLAIM_VALIDATION_FAILED", Error(results, "wrong issuer"));
        Assert.Equal("ERR_JWT_CLAIM_VALIDATION_FAILED", Error(results, "an access token (typ at+jwt)"));
        Assert.Equal("ERR_JWKS_NO_MATCHING_KEY", Error(results, "a key never published"));
    }

    [Fact]
    public async Task Before_any_key_is_published_jose_fetches_an_empty_set_and_matches_nothing()
    {
        using var key = JwtSigningKey.Generate(JwtSigningKey.ES256);
        await using var issuer = await StandaloneIssuer.StartAsync();

        var report = await VerifyAsync(issuer.Trust.BundlePem, issuer.Url, "orders", new Dictionary<string, string> { ["any"] = TestTokens.Sign(key, issuer.Url, "orders") });

        Assert.Equal("ERR_JWKS_NO_MATCHING_KEY", Error(report.GetProperty("results"), "any"));
    }

    [Fact]
    public async Task Jose_verifies_a_token_signed_by_the_running_operators_active_key()
    {
        await using var cluster = await TestCluster.StartAsync(ClusterKind.Local);
        await using var op = await OperatorUnderTest.StartAsync(cluster);
        var trust = op.Host!.Trust!;
        var signer = trust.JwtKeys.Signer ?? throw new InvalidOperationException("the operator holds no JWT signing key");
        var url = op.Host.IssuerUrl!;

        var report = await VerifyAsync(trust.BundlePem, url, "orders", new Dictionary<string, string> { ["active"] = TestTokens.Sign(signer, url, "orders") });

        Assert.Equal(signer.KeyId, report.GetProperty("results").GetProperty("active").GetProperty("kid").GetString());
    }

    internal static async Task<JsonElement> VerifyAsync(string bundlePem, string issuerUrl, string audience, IReadOnlyDictionary<string, string> tokens)
    {
        var folder = StandaloneIssuer.WriteBundle(bundlePem);
        var input = JsonSerializer.Serialize(new { discovery = issuerUrl + "/.well-known/openid-configuration", audience, tokens });
        var run = await NodePackages.RunScriptAsync(NodePackages.Jose, Verifier, input,
            new Dictionary<string, string> { ["NODE_EXTRA_CA_CERTS"] = Path.Combine(folder, "ca.crt") });
        Assert.True(run.ExitCode == 0, $"node exited {run.ExitCode}: {run.Stderr.Trim()}");
        return StandaloneIssuer.Json(run.Stdout);
    }

    private static string? Error(JsonElement results, string name) =>
        results.GetProperty(name).TryGetProperty("error", out var e) ? e.GetString() : $"accepted: {results.GetProperty(name)}";
}
