using System.Text;
using System.Text.Json.Nodes;
using System.Text.RegularExpressions;
using Sigil.Tests.Support;

namespace Sigil.Tests.Cli;

/// <summary>
/// Issue #9's "done when", as a user does it: <c>sigil local</c> as a process, <c>kubectl apply</c> of an identity with
/// <c>spec.jwt</c>, then the token in its Secret checked by <c>jose</c> against the JWKS that the discovery document
/// printed by <c>sigil local</c> points at, fetched over HTTPS trusting only the CA bundle Sigil published; and
/// <c>curl --cacert</c> on <c>/keys</c>.
/// </summary>
public sealed partial class LocalJwtTests
{
    private const string Identities = """
        apiVersion: v1
        kind: Namespace
        metadata: {name: shop}
        ---
        apiVersion: sigil.dev/v1alpha1
        kind: ServiceIdentity
        metadata: {name: orders, namespace: shop}
        spec:
          acceptsFrom: [{serviceIdentity: payments}]
        ---
        apiVersion: sigil.dev/v1alpha1
        kind: ServiceIdentity
        metadata: {name: payments, namespace: shop}
        spec:
          jwt:
            ttl: 10m
            audiences:
              - {name: orders, audience: orders}
              - {name: vault, audience: "https://vault.example.com"}
        """;

    // Fetches the discovery document and verifies a token against its jwks_uri, trusting only the given CA bundle
    // (https.request with `ca`: no system roots, no NODE_TLS_REJECT_UNAUTHORIZED).
    internal const string Verifier = """
        import https from 'node:https';
        import { createRemoteJWKSet, jwtVerify, decodeProtectedHeader, customFetch } from 'jose';
        const input = JSON.parse(await new Promise(r => { let s = ''; process.stdin.on('data', d => s += d); process.stdin.on('end', () => r(s)); }));
        const get = (url) => new Promise((resolve, reject) => {
          https.get(url, { ca: input.ca }, res => {
            let body = ''; res.on('data', d => body += d);
            res.on('end', () => resolve({ status: res.statusCode, headers: res.headers, body }));
          }).on('error', reject);
        });
        const discovery = await get(input.discovery);
        if (discovery.status !== 200) { console.error('discovery answered ' + discovery.status); process.exit(1); }
        const config = JSON.parse(discovery.body);
        const fetchWithCa = async (url) => {
          const r = await get(url);
          return new Response(r.body, { status: r.status, headers: { 'content-type': 'application/json' } });
        };
        const jwks = createRemoteJWKSet(new URL(config.jwks_uri), { [customFetch]: fetchWithCa });
        const results = {};
        for (const [name, audience] of Object.entries(input.tokens)) {
          const token = input.jwts[name];
          const { payload, protectedHeader } = await jwtVerify(token, jwks, { issuer: config.issuer, audience, typ: 'JWT' });
          results[name] = { sub: payload.sub, aud: payload.aud, claims: Object.keys(payload).sort(), alg: protectedHeader.alg, kid: protectedHeader.kid };
        }
        // A token for one audience is not accepted for another.
        try {
          await jwtVerify(input.jwts.vault, jwks, { issuer: config.issuer, audience: input.tokens.orders, typ: 'JWT' });
          console.error('the vault token was accepted for the orders audience'); process.exit(1);
        } catch (e) { if (e.code !== 'ERR_JWT_CLAIM_VALIDATION_FAILED') { console.error(e.code); process.exit(1); } }
        console.log(JSON.stringify({ issuer: config.issuer, jwks_uri: config.jwks_uri, results }));
        """;

    [Fact]
    public async Task A_token_from_sigil_local_verifies_with_jose_against_the_printed_discovery_url()
    {
        var folder = Directory.CreateTempSubdirectory("sigil-local-jwt-").FullName;
        var sigil = Path.Combine(AppContext.BaseDirectory, "sigil.dll");
        using var process = ProcessRunner.Start("dotnet", [sigil, "local", "--metrics-port", "0", "--health-port", "0", "--issuer-port", "0", "--bundle-propagation", "0s"],
            workingDirectory: folder);
        try
        {
            string? discovery = null;
            var printed = new StringBuilder();
            // The issuer's banner follows "Press Ctrl-C" once the operator listens (its port may be a free one).
            using var banner = new CancellationTokenSource(TimeSpan.FromSeconds(60));
            while (discovery is null && await process.StandardOutput.ReadLineAsync(banner.Token) is { } line)
            {
                printed.AppendLine(line);
                discovery = DiscoveryUrl().Match(line) is { Success: true } m ? m.Value : null;
            }
            Assert.True(discovery is not null, $"sigil local printed no https://127.0.0.1:<port>/.well-known/openid-configuration URL:\n{printed}");
            var kubeconfig = Path.Combine(folder, ".sigil", "kubeconfig");
            async Task<ProcessResult> Kubectl(params string[] args) => await ProcessRunner.RunAsync(ToolCache.Kubectl132, ["--kubeconfig", kubeconfig, .. args]);

            File.WriteAllText(Path.Combine(folder, "identities.yaml"), Identities);
            var applied = await Kubectl("apply", "-f", Path.Combine(folder, "identities.yaml"));
            Assert.True(applied.ExitCode == 0, applied.Output);

            JsonObject? secret = null;
            await Eventually.TrueAsync(async () =>
            {
                var got = await Kubectl("get", "secret", "payments-jwt", "-n", "shop", "-o", "json");
                secret = got.ExitCode == 0 ? JsonNode.Parse(got.Stdout)!.AsObject() : null;
                return secret?["data"]?["orders.jwt"] is not null && secret["data"]?["vault.jwt"] is not null;
            }, TimeSpan.FromSeconds(60), "Secret shop/payments-jwt never held orders.jwt and vault.jwt");
            string Data(string key) => Encoding.UTF8.GetString(Convert.FromBase64String((string)secret!["data"]![key]!));

            var bundle = await Kubectl("get", "configmap", "sigil-trust-bundle", "-n", "shop", "-o", "jsonpath={.data.ca\\.crt}");
            Assert.True(bundle.ExitCode == 0 && bundle.Stdout.Contains("BEGIN CERTIFICATE", StringComparison.Ordinal), bundle.Output);
            var input = new JsonObject
            {
                ["ca"] = bundle.Stdout,
                ["discovery"] = discovery,
                ["jwts"] = new JsonObject { ["orders"] = Data("orders.jwt"), ["vault"] = Data("vault.jwt") },
                ["tokens"] = new JsonObject { ["orders"] = "spiffe://cluster.local/ns/shop/sa/orders", ["vault"] = "https://vault.example.com" },
            };
            var run = await NodePackages.RunScriptAsync(NodePackages.Jose, Verifier, input.ToJsonString());
            Assert.True(run.ExitCode == 0, $"jose rejected a token from sigil local: {run.Stderr.Trim()}");
            var verified = JsonNode.Parse(run.Stdout)!;
            Assert.StartsWith("https://127.0.0.1:", (string)verified["issuer"]!, StringComparison.Ordinal);
            foreach (var name in new[] { "orders", "vault" })
            {
                var result = verified["results"]![name]!;
                Assert.Equal("spiffe://cluster.local/ns/shop/sa/payments", (string)result["sub"]!);
                Assert.Equal((string)input["tokens"]![name]!, (string)result["aud"]!);
                Assert.Equal(["aud", "exp", "iat", "iss", "sub"], result["claims"]!.AsArray().Select(c => (string)c!).ToArray());
                Assert.Equal("ES256", (string)result["alg"]!);
            }

            // curl, trusting the bundle alone, lists the key that signed them.
            var caFile = Path.Combine(folder, "ca.crt");
            await File.WriteAllTextAsync(caFile, bundle.Stdout);
            var keysUrl = discovery![..discovery.IndexOf("/.well-known", StringComparison.Ordinal)] + "/keys";
            var curl = await ProcessRunner.RunAsync("curl", ["--silent", "--show-error", "--fail", "--cacert", caFile, keysUrl]);
            Assert.True(curl.ExitCode == 0, curl.Output);
            var kids = JsonNode.Parse(curl.Stdout)!["keys"]!.AsArray().Select(k => (string)k!["kid"]!).ToList();
            Assert.Contains((string)verified["results"]!["orders"]!["kid"]!, kids);
        }
        finally
        {
            if (!process.HasExited)
            {
                process.Kill(entireProcessTree: true);
                process.WaitForExit(10_000);
            }
            Directory.Delete(folder, recursive: true);
        }
    }

    [GeneratedRegex(@"https://127\.0\.0\.1:\d+/\.well-known/openid-configuration")]
    private static partial Regex DiscoveryUrl();
}
