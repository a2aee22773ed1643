using System.Buffers.Text;
using System.Net;
using System.Text.Json;
using System.Text.Json.Nodes;
using Sigil.Identity;
using Sigil.Tests.Support;
using static Sigil.Tests.Issuer.Token.TokenWorld;

namespace Sigil.Tests.Issuer.Token.ClientAuthentication;

/// <summary>
/// The SVID client authentication methods with clients Sigil did not write (house rule 14): curl doing tls_client_auth
/// with the SVID files as Sigil writes them, openid-client doing discovery and private_key_jwt with the SVID key (its
/// certificate in x5c), jose verifying the access tokens, and openssl computing the certificate thumbprint that cnf binds.
/// </summary>
public sealed class SvidClientInteropTests : IDisposable
{
    private static readonly string PaymentsId = IdOf("payments");

    // Folders holding test SVID keys, removed after each test.
    private readonly List<string> _folders = [];

    public void Dispose()
    {
        foreach (var folder in _folders)
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task<TokenWorld> ShopAsync() => await StartAsync(
        [
            Client("payments"),
            Receiver("orders", "shop", From("payments", "orders.read")),
            Receiver("batch", "shop", From("payments")),
        ],
        []);

    /// <summary>tls.crt, tls.key and ca.crt as the SVID Secret holds them, in a folder for curl, openssl and node.</summary>
    private string WriteSvid(TokenWorld world, string name, KeyAlgorithm algorithm = KeyAlgorithm.ECDSAP256)
    {
        var svid = world.Issuer.Trust.Issuer.Issue(new SvidRequest(new SpiffeId(TrustDomain, "shop", name), [], algorithm, TimeSpan.FromHours(1)));
        var folder = Directory.CreateTempSubdirectory("sigil-svid-client-").FullName;
        _folders.Add(folder);
        File.WriteAllText(Path.Combine(folder, "tls.crt"), svid.CertificateChainPem);
        File.WriteAllText(Path.Combine(folder, "tls.key"), svid.PrivateKeyPem);
        File.WriteAllText(Path.Combine(folder, "ca.crt"), svid.TrustBundlePem);
        return folder;
    }

    private static async Task<(int Status, JsonElement Body)> CurlTokenAsync(TokenWorld world, string folder, bool withCertificate, params string[] form)
    {
        var arguments = new List<string> { "-sS", "--cacert", "ca.crt", "-w", "\n%{http_code}" };
        if (withCertificate)
        {
            arguments.AddRange(["--cert", "tls.crt", "--key", "tls.key"]);
        }
        foreach (var field in form)
        {
            arguments.AddRange(["--data-urlencode", field]);
        }
        arguments.Add(world.Issuer.Url + "/oauth2/token");
        var curl = await ProcessRunner.RunAsync("curl", arguments, workingDirectory: folder);
        Assert.True(curl.ExitCode == 0, $"curl failed: {curl.Stderr}");
        var lines = curl.Stdout.TrimEnd().Split('\n');
        return (int.Parse(lines[^1], System.Globalization.CultureInfo.InvariantCulture), JsonDocument.Parse(string.Join('\n', lines[..^1])).RootElement.Clone());
    }

    /// <summary>RFC 8705 3.1's x5t#S256 as openssl computes it: the SHA-256 of the certificate's DER, base64url.</summary>
    private static async Task<string> OpensslThumbprintAsync(string folder)
    {
        var run = await ProcessRunner.RunAsync("openssl", ["x509", "-in", "tls.crt", "-noout", "-fingerprint", "-sha256"], workingDirectory: folder);
        Assert.True(run.ExitCode == 0, run.Stderr);
        var hex = run.Stdout.Trim()[(run.Stdout.IndexOf('=', StringComparison.Ordinal) + 1)..].Replace(":", "", StringComparison.Ordinal);
        return Base64Url.EncodeToString(Convert.FromHexString(hex));
    }

    // jose checks signature, typ at+jwt, issuer and audience against the issuer's own /keys, then hands back the claims.
    private const string JoseVerifier = """
        import * as jose from 'jose';
        import { readFileSync } from 'node:fs';
        const input = JSON.parse(readFileSync(0, 'utf8'));
        const keys = jose.createRemoteJWKSet(new URL(input.issuer + '/keys'));
        const { payload, protectedHeader } = await jose.jwtVerify(input.token, keys, { issuer: input.issuer, audience: input.audience, typ: 'at+jwt' });
        process.stdout.write(JSON.stringify({ typ: protectedHeader.typ, payload }));
        """;

    private static async Task<JsonElement> JoseVerifyAsync(TokenWorld world, string folder, string token, string audience)
    {
        var input = new JsonObject { ["issuer"] = world.Issuer.Url, ["token"] = token, ["audience"] = audience }.ToJsonString();
        var run = await NodePackages.RunScriptAsync(NodePackages.Jose, JoseVerifier, input,
            new Dictionary<string, string> { ["NODE_EXTRA_CA_CERTS"] = Path.Combine(folder, "ca.crt") });
        Assert.True(run.ExitCode == 0, $"jose refused the access token: {run.Stderr}");
        return JsonDocument.Parse(run.Stdout).RootElement.Clone();
    }

    [Fact]
    public async Task Curl_with_the_SVID_files_does_tls_client_auth_and_gets_a_token_bound_to_the_certificate_openssl_fingerprints()
    {
        await using var world = await ShopAsync();
        var folder = WriteSvid(world, "payments");

        var (status, body) = await CurlTokenAsync(world, folder, withCertificate: true, "grant_type=client_credentials", "audience=orders");

        Assert.True(status == 200, body.ToString());
        var verified = await JoseVerifyAsync(world, folder, body.GetProperty("access_token").GetString()!, IdOf("orders"));
        Assert.Equal("at+jwt", verified.GetProperty("typ").GetString());
        var claims = verified.GetProperty("payload");
        Assert.Equal(PaymentsId, claims.GetProperty("sub").GetString());
        Assert.Equal(PaymentsId, claims.GetProperty("client_id").GetString());
        Assert.Equal("orders.read", claims.GetProperty("scope").GetString());
        Assert.Equal(await OpensslThumbprintAsync(folder), claims.GetProperty("cnf").GetProperty("x5t#S256").GetString());
    }

    [Fact]
    public async Task Curl_with_an_RSA_SVID_and_its_client_id_in_the_body_does_tls_client_auth()
    {
        await using var world = await ShopAsync();
        var folder = WriteSvid(world, "payments", KeyAlgorithm.RSA2048);

        var (status, body) = await CurlTokenAsync(world, folder, withCertificate: true, "grant_type=client_credentials", "audience=orders", $"client_id={PaymentsId}");

        Assert.True(status == 200, body.ToString());
        Assert.Equal(await OpensslThumbprintAsync(folder), new Answer(HttpStatusCode.OK, body, null, null, null, null).Claims().GetProperty("cnf").GetProperty("x5t#S256").GetString());
    }

    [Fact]
    public async Task Curl_sending_the_platform_intermediate_after_its_SVID_does_tls_client_auth_against_a_bundle_of_the_root_alone()
    {
        await using var world = await ShopAsync();
        using var svids = new TestSvids();
        var (intermediate, root) = svids.PlatformIntermediate(DateTimeOffset.UtcNow);
        world.Issuer.Trust = StandaloneIssuer.Snapshot(intermediate, world.Key, TimeSpan.FromMinutes(10));
        var folder = WriteSvid(world, "payments");
        Assert.Equal(2, System.Text.RegularExpressions.Regex.Count(File.ReadAllText(Path.Combine(folder, "tls.crt")), "BEGIN CERTIFICATE"));
        Assert.Equal(root.ExportCertificatePem().Trim(), File.ReadAllText(Path.Combine(folder, "ca.crt")).Trim());

        var (status, body) = await CurlTokenAsync(world, folder, withCertificate: true, "grant_type=client_credentials", "audience=orders");

        Assert.True(status == 200, body.ToString());
        Assert.Equal(await OpensslThumbprintAsync(folder), new Answer(HttpStatusCode.OK, body, null, null, null, null).Claims().GetProperty("cnf").GetProperty("x5t#S256").GetString());
    }

    [Fact]
    public async Task No_client_certificate_and_no_credentials_is_invalid_client_over_the_wire()
    {
        await using var world = await ShopAsync();
        var folder = WriteSvid(world, "payments");

        var (status, body) = await CurlTokenAsync(world, folder, withCertificate: false, "grant_type=client_credentials", "audience=orders");

        Assert.Equal(401, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
    }

    [Fact]
    public async Task An_SVID_of_an_identity_without_spec_oauth2_is_invalid_client_over_the_wire()
    {
        await using var world = await ShopAsync();
        var folder = WriteSvid(world, "orders");

        var (status, body) = await CurlTokenAsync(world, folder, withCertificate: true, "grant_type=client_credentials", "audience=batch");

        Assert.Equal(401, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        Assert.Contains(world.Logs.Lines, l => l.Contains("NotAnOAuthClient", StringComparison.Ordinal) && l.Contains(IdOf("orders"), StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_SVID_from_another_trust_domain_is_invalid_client_over_the_wire()
    {
        await using var world = await ShopAsync();
        var folder = WriteSvid(world, "payments");
        using var other = CertificateAuthority.CreateRoot("other.example", TimeProvider.System);
        var stranger = new SvidIssuer(other, TimeProvider.System).Issue(new SvidRequest(new SpiffeId("other.example", "shop", "payments"), [], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1)));
        File.WriteAllText(Path.Combine(folder, "tls.crt"), stranger.CertificateChainPem);
        File.WriteAllText(Path.Combine(folder, "tls.key"), stranger.PrivateKeyPem);

        var (status, body) = await CurlTokenAsync(world, folder, withCertificate: true, "grant_type=client_credentials", "audience=orders");

        Assert.Equal(401, status);
        Assert.Equal("invalid_client", body.GetProperty("error").GetString());
        Assert.Contains(world.Logs.Lines, l => l.Contains("OtherTrustDomain", StringComparison.Ordinal));
    }

    // openid-client v6: discovery, then the client-credentials grant with private_key_jwt. The SVID certificate goes into
    // x5c through the library's modifyAssertion hook; the request body is captured so the test can replay it.
    private const string OpenIdClientScript = """
        import * as client from 'openid-client';
        import { readFileSync } from 'node:fs';
        const input = JSON.parse(readFileSync(0, 'utf8'));
        const der = Buffer.from(input.keyPem.replace(/-----[^-]+-----/g, '').replace(/\s+/g, ''), 'base64');
        const key = await crypto.subtle.importKey('pkcs8', der, { name: 'ECDSA', namedCurve: 'P-256' }, false, ['sign']);
        const auth = client.PrivateKeyJwt(key, { [client.modifyAssertion]: (header) => { header.x5c = input.x5c; } });
        const config = await client.discovery(new URL(input.issuer), input.clientId, { token_endpoint_auth_method: 'private_key_jwt' }, auth);
        let sent;
        const fetchAndKeep = (url, options) => { sent = String(options.body); return fetch(url, options); };
        config[client.customFetch] = fetchAndKeep;
        const tokens = await client.clientCredentialsGrant(config, { audience: input.audience });
        process.stdout.write(JSON.stringify({ token: tokens.access_token, scope: tokens.scope, sent, methods: config.serverMetadata().token_endpoint_auth_methods_supported }));
        """;

    [Fact]
    public async Task Openid_client_does_discovery_and_private_key_jwt_with_the_SVID_key_and_a_replay_of_its_assertion_is_invalid_client()
    {
        await using var world = await ShopAsync();
        var folder = WriteSvid(world, "payments");
        var chain = new System.Security.Cryptography.X509Certificates.X509Certificate2Collection();
        chain.ImportFromPem(File.ReadAllText(Path.Combine(folder, "tls.crt")));
        var input = new JsonObject
        {
            ["issuer"] = world.Issuer.Url,
            ["clientId"] = PaymentsId,
            ["keyPem"] = File.ReadAllText(Path.Combine(folder, "tls.key")),
            ["x5c"] = new JsonArray([.. chain.Select(c => (JsonNode)Convert.ToBase64String(c.RawData))]),
            ["audience"] = "orders",
        }.ToJsonString();

        var run = await NodePackages.RunScriptAsync(NodePackages.OpenIdClient, OpenIdClientScript, input,
            new Dictionary<string, string> { ["NODE_EXTRA_CA_CERTS"] = Path.Combine(folder, "ca.crt") });

        Assert.True(run.ExitCode == 0, $"openid-client failed: {run.Stderr}");
        var result = JsonDocument.Parse(run.Stdout).RootElement;
        Assert.Contains("private_key_jwt", result.GetProperty("methods").EnumerateArray().Select(m => m.GetString()));
        var verified = await JoseVerifyAsync(world, folder, result.GetProperty("token").GetString()!, IdOf("orders"));
        Assert.Equal(PaymentsId, verified.GetProperty("payload").GetProperty("sub").GetString());
        Assert.False(verified.GetProperty("payload").TryGetProperty("cnf", out _));
        Assert.Contains(world.Logs.Lines, l => l.Contains("private_key_jwt", StringComparison.Ordinal) && l.Contains(PaymentsId, StringComparison.Ordinal));

        // The same assertion again, byte for byte, as an attacker who captured the request would send it.
        using var http = world.Http();
        using var replay = await http.PostAsync("/oauth2/token", new StringContent(result.GetProperty("sent").GetString()!, System.Text.Encoding.ASCII, "application/x-www-form-urlencoded"));
        var answer = await Answer.ReadAsync(replay);
        Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
        Assert.Equal("invalid_client", answer.Error);
        Assert.Contains(world.Logs.Lines, l => l.Contains("Replayed", StringComparison.Ordinal));
        var assertion = System.Web.HttpUtility.ParseQueryString(result.GetProperty("sent").GetString()!)["client_assertion"]!;
        Assert.DoesNotContain(world.Logs.Lines, l => l.Contains(assertion, StringComparison.Ordinal));
    }
}
