using System.Net;
using System.Net.Http.Headers;
using System.Net.Security;
using System.Net.Sockets;
using System.Security.Cryptography.X509Certificates;
using Sigil.Identity;
using Sigil.Tests.Support;

namespace Sigil.Tests.Issuer;

/// <summary>The issuer's HTTPS listener as relying parties meet it: its answers and headers, and its certificate, checked by
/// .NET's SslStream, openssl and Node's tls (consumers Sigil did not write).</summary>
public sealed class IssuerServerTests
{
    private const string Discovery = "/.well-known/openid-configuration";

    [Fact]
    public async Task Discovery_and_keys_are_served_with_caching_headers_and_a_tag_that_answers_304()
    {
        using var key = JwtSigningKey.Generate(JwtSigningKey.ES256);
        await using var issuer = await StandaloneIssuer.StartAsync(key);
        using var http = issuer.Client();

        using var discovery = await http.GetAsync(Discovery);
        using var keys = await http.GetAsync("/keys");
        var etag = keys.Headers.ETag!;
        using var revalidated = await Conditional(http, "/keys", etag.Tag);
        using var weakRevalidated = await Conditional(http, "/keys", "W/" + etag.Tag);
        using var stale = await Conditional(http, "/keys", "\"not-the-current-tag\"");
        using var any = await Conditional(http, "/keys", "*");

        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        Assert.Equal(issuer.Url, StandaloneIssuer.Json(await discovery.Content.ReadAsStringAsync()).GetProperty("issuer").GetString());
        Assert.Equal($"https://127.0.0.1:{issuer.Port}", issuer.Url);
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
        Assert.Equal(issuer.Trust.Jwks, await keys.Content.ReadAsStringAsync());
        Assert.Contains(key.KeyId, issuer.Trust.Jwks, StringComparison.Ordinal);
        Assert.Equal("application/jwk-set+json", keys.Content.Headers.ContentType!.MediaType);
        Assert.Equal("public, max-age=300", keys.Headers.CacheControl!.ToString());
        Assert.Equal("public, max-age=300", discovery.Headers.CacheControl!.ToString());
        Assert.NotNull(discovery.Headers.ETag);
        Assert.False(etag.IsWeak);
        Assert.Equal(HttpStatusCode.NotModified, revalidated.StatusCode);
        Assert.Empty(await revalidated.Content.ReadAsByteArrayAsync());
        Assert.Equal(etag, revalidated.Headers.ETag);
        Assert.Equal("public, max-age=300", revalidated.Headers.CacheControl!.ToString());
        Assert.Equal(HttpStatusCode.NotModified, weakRevalidated.StatusCode);
        Assert.Equal(HttpStatusCode.OK, stale.StatusCode);
        Assert.Equal(HttpStatusCode.NotModified, any.StatusCode);
    }

    [Fact]
    public async Task HEAD_answers_headers_only_unknown_paths_are_404_and_other_methods_405()
    {
        await using var issuer = await StandaloneIssuer.StartAsync();
        using var http = issuer.Client();

        using var head = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, "/keys"));
        using var headDiscovery = await http.SendAsync(new HttpRequestMessage(HttpMethod.Head, Discovery));
        using var unknown = await http.GetAsync("/.well-known/jwks.json");
        using var root = await http.GetAsync("/");
        using var post = await http.PostAsync("/keys", new StringContent("{}"));
        using var delete = await http.DeleteAsync(Discovery);

        Assert.Equal(HttpStatusCode.OK, head.StatusCode);
        Assert.Equal(issuer.Trust.Jwks.Length, head.Content.Headers.ContentLength);
        Assert.Empty(await head.Content.ReadAsByteArrayAsync());
        Assert.NotNull(head.Headers.ETag);
        Assert.Equal(HttpStatusCode.OK, headDiscovery.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, unknown.StatusCode);
        Assert.Equal(HttpStatusCode.NotFound, root.StatusCode);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, post.StatusCode);
        Assert.Contains("GET", post.Content.Headers.Allow);
        Assert.Equal(HttpStatusCode.MethodNotAllowed, delete.StatusCode);
    }

    [Fact]
    public async Task Zero_propagation_tells_caches_to_revalidate_every_time()
    {
        await using var issuer = await StandaloneIssuer.StartAsync(propagation: TimeSpan.Zero);
        using var http = issuer.Client();

        using var keys = await http.GetAsync("/keys");

        Assert.Equal("no-cache", keys.Headers.CacheControl!.ToString());
    }

    [Fact]
    public async Task An_issuer_URL_with_a_path_is_answered_under_that_path_too()
    {
        await using var issuer = await StandaloneIssuer.StartAsync(issuerUrl: "https://127.0.0.1/sigil");
        using var http = issuer.Client();

        using var discovery = await http.GetAsync("/sigil" + Discovery);
        using var keys = await http.GetAsync("/sigil/keys");

        Assert.Equal(HttpStatusCode.OK, discovery.StatusCode);
        Assert.Equal("https://127.0.0.1/sigil/keys", StandaloneIssuer.Json(await discovery.Content.ReadAsStringAsync()).GetProperty("jwks_uri").GetString());
        Assert.Equal(HttpStatusCode.OK, keys.StatusCode);
    }

    [Fact]
    public async Task A_new_key_set_is_served_on_the_next_request_under_a_new_tag()
    {
        await using var issuer = await StandaloneIssuer.StartAsync();
        using var http = issuer.Client();
        using var before = await http.GetAsync("/keys");
        using var key = JwtSigningKey.Generate(JwtSigningKey.RS256);

        issuer.Trust = StandaloneIssuer.Snapshot(issuer.Trust.Signer, key, TimeSpan.FromMinutes(10), sequence: 2);
        using var after = await Conditional(http, "/keys", before.Headers.ETag!.Tag);
        using var discovery = await http.GetAsync(Discovery);

        Assert.Equal(HttpStatusCode.OK, after.StatusCode);
        Assert.Contains(key.KeyId, await after.Content.ReadAsStringAsync(), StringComparison.Ordinal);
        Assert.NotEqual(before.Headers.ETag, after.Headers.ETag);
        Assert.Equal(["ES256", "RS256"], StandaloneIssuer.Json(await discovery.Content.ReadAsStringAsync())
            .GetProperty("id_token_signing_alg_values_supported").EnumerateArray().Select(e => e.GetString()!));
    }

    [Fact]
    public async Task The_certificate_chains_to_the_bundle_and_names_the_Service_and_the_issuer_host_for_SslStream()
    {
        await using var issuer = await StandaloneIssuer.StartAsync(ns: "ops");

        foreach (var host in new[] { "127.0.0.1", "sigil", "sigil.ops", "sigil.ops.svc", "sigil.ops.svc.cluster.local" })
        {
            var (errors, served) = await HandshakeAsync(issuer.Port, host, issuer.Trust.BundlePem);
            Assert.True(errors == SslPolicyErrors.None, $"{host}: {errors}");
            using var _ = served;
        }
        var (wrongName, leaf) = await HandshakeAsync(issuer.Port, "sigil.other.svc", issuer.Trust.BundlePem);
        using var otherCa = StandaloneIssuer.NewCa();
        var (wrongCa, __) = await HandshakeAsync(issuer.Port, "127.0.0.1", otherCa.TrustBundlePem);

        Assert.Equal(SslPolicyErrors.RemoteCertificateNameMismatch, wrongName);
        Assert.Equal(SslPolicyErrors.RemoteCertificateChainErrors, wrongCa);
        var san = leaf.Extensions.OfType<X509SubjectAlternativeNameExtension>().Single();
        Assert.Equal(["sigil", "sigil.ops", "sigil.ops.svc", "sigil.ops.svc.cluster.local"], san.EnumerateDnsNames());
        Assert.Equal([IPAddress.Loopback], san.EnumerateIPAddresses());
        Assert.Equal(["spiffe://cluster.local/ns/ops/sa/sigil"], Sigil.Identity.CertificateFacts.Of(leaf).UriNames);
        Assert.Equal(issuer.Trust.Signer.KeyIdHex, Sigil.Identity.CertificateFacts.Of(leaf).IssuerKeyId);
    }

    [Fact]
    public async Task Openssl_verifies_the_served_chain_for_the_issuer_address_and_the_Service_names()
    {
        await using var issuer = await StandaloneIssuer.StartAsync(ns: "ops");
        var folder = StandaloneIssuer.WriteBundle(issuer.Trust.BundlePem);

        var byAddress = await SClientAsync(folder, issuer.Port, "-verify_ip", "127.0.0.1");
        var byName = await SClientAsync(folder, issuer.Port, "-verify_hostname", "sigil.ops.svc.cluster.local", "-servername", "sigil.ops.svc.cluster.local");
        var wrongName = await SClientAsync(folder, issuer.Port, "-verify_hostname", "issuer.example.com");

        Assert.True(byAddress.ExitCode == 0 && byAddress.Stdout.Contains("Verify return code: 0 (ok)", StringComparison.Ordinal), byAddress.Output);
        Assert.True(byName.ExitCode == 0 && byName.Stdout.Contains("Verify return code: 0 (ok)", StringComparison.Ordinal), byName.Output);
        Assert.NotEqual(0, wrongName.ExitCode);
    }

    [Fact]
    public async Task Nodes_https_client_trusts_the_issuer_with_the_bundle_and_checks_every_name()
    {
        await using var issuer = await StandaloneIssuer.StartAsync(ns: "ops");
        var folder = StandaloneIssuer.WriteBundle(issuer.Trust.BundlePem);

        var output = await NodeScript.RunAsync(folder, """
            const https = require('node:https');
            const tls = require('node:tls');
            const fs = require('node:fs');
            const [port] = process.argv.slice(2);
            const request = https.get({ host: '127.0.0.1', port: Number(port), path: '/keys', ca: fs.readFileSync('ca.crt') }, response => {
              const certificate = response.socket.getPeerCertificate();
              const names = ['sigil', 'sigil.ops', 'sigil.ops.svc', 'sigil.ops.svc.cluster.local', '127.0.0.1', 'sigil.other.svc'];
              const accepted = names.filter(name => tls.checkServerIdentity(name, certificate) === undefined);
              const authorized = response.socket.authorized;
              let body = '';
              response.on('data', chunk => body += chunk);
              response.on('end', () => process.stdout.write(JSON.stringify({ status: response.statusCode, authorized, accepted, body })));
            });
            request.on('error', e => { console.error(e.code ?? String(e)); process.exit(1); });
            """, issuer.Port.ToString(System.Globalization.CultureInfo.InvariantCulture));
        var result = StandaloneIssuer.Json(output);

        Assert.Equal(200, result.GetProperty("status").GetInt32());
        Assert.True(result.GetProperty("authorized").GetBoolean());
        Assert.Equal(["sigil", "sigil.ops", "sigil.ops.svc", "sigil.ops.svc.cluster.local", "127.0.0.1"], result.GetProperty("accepted").EnumerateArray().Select(e => e.GetString()!));
        Assert.Equal(issuer.Trust.Jwks, result.GetProperty("body").GetString());
    }

    [Fact]
    public async Task Behind_an_intermediate_CA_the_intermediate_is_sent_so_openssl_verifies_with_the_root_alone()
    {
        await using var issuer = await StandaloneIssuer.StartAsync();
        using var root = StandaloneIssuer.NewCa();
        using var intermediateKey = System.Security.Cryptography.ECDsa.Create(System.Security.Cryptography.ECCurve.NamedCurves.nistP256);
        var request = new CertificateRequest("CN=sigil intermediate", intermediateKey, System.Security.Cryptography.HashAlgorithmName.SHA256);
        request.CertificateExtensions.Add(new X509BasicConstraintsExtension(true, true, 0, true));
        request.CertificateExtensions.Add(new X509KeyUsageExtension(X509KeyUsageFlags.KeyCertSign, true));
        request.CertificateExtensions.Add(new X509SubjectKeyIdentifierExtension(request.PublicKey, false));
        request.CertificateExtensions.Add(X509AuthorityKeyIdentifierExtension.CreateFromCertificate(root.Signer, true, false));
        using var intermediate = request.Create(root.Signer, DateTimeOffset.UtcNow.AddMinutes(-1), DateTimeOffset.UtcNow.AddDays(90), [0x42]);
        using var ca = CertificateAuthority.FromPem(intermediate.ExportCertificatePem() + "\n" + root.Signer.ExportCertificatePem(), intermediateKey.ExportPkcs8PrivateKeyPem());
        issuer.Trust = StandaloneIssuer.Snapshot(ca, null, TimeSpan.FromMinutes(10), sequence: 2);
        var folder = StandaloneIssuer.WriteBundle(root.TrustBundlePem);

        var verified = await SClientAsync(folder, issuer.Port, "-verify_ip", "127.0.0.1", "-showcerts");

        Assert.True(verified.ExitCode == 0 && verified.Stdout.Contains("Verify return code: 0 (ok)", StringComparison.Ordinal), verified.Output);
        Assert.Contains("CN=sigil intermediate", verified.Stdout.Replace("CN = ", "CN=", StringComparison.Ordinal), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_new_signing_CA_is_served_from_the_next_handshake_without_a_restart()
    {
        await using var issuer = await StandaloneIssuer.StartAsync();
        var (_, before) = await HandshakeAsync(issuer.Port, "127.0.0.1", issuer.Trust.BundlePem);
        var server = issuer.Server;
        using var next = StandaloneIssuer.NewCa();

        issuer.Trust = StandaloneIssuer.Snapshot(next, null, TimeSpan.FromMinutes(10), sequence: 2);
        var (errors, after) = await HandshakeAsync(issuer.Port, "127.0.0.1", next.TrustBundlePem);

        Assert.Same(server, issuer.Server);
        Assert.Equal(SslPolicyErrors.None, errors);
        Assert.NotEqual(before.Thumbprint, after.Thumbprint);
        Assert.Equal(next.KeyIdHex, Sigil.Identity.CertificateFacts.Of(after).IssuerKeyId);
        Assert.Equal(next.KeyIdHex, issuer.Server.Certificate.Facts!.IssuerKeyId);
    }

    private static async Task<HttpResponseMessage> Conditional(HttpClient http, string path, string ifNoneMatch)
    {
        var request = new HttpRequestMessage(HttpMethod.Get, path);
        request.Headers.TryAddWithoutValidation("If-None-Match", ifNoneMatch);
        return await http.SendAsync(request);
    }

    /// <summary>A TLS handshake as .NET's SslStream makes it, trusting only <paramref name="bundlePem"/>: the policy errors it found, and the leaf served.</summary>
    internal static async Task<(SslPolicyErrors Errors, X509Certificate2 Leaf)> HandshakeAsync(int port, string targetHost, string bundlePem)
    {
        using var tcp = new TcpClient();
        await tcp.ConnectAsync(IPAddress.Loopback, port);
        await using var tls = new SslStream(tcp.GetStream());
        var errors = SslPolicyErrors.None;
        var policy = new X509ChainPolicy { TrustMode = X509ChainTrustMode.CustomRootTrust, RevocationMode = X509RevocationMode.NoCheck };
        policy.CustomTrustStore.AddRange(TrustChecks.Pem(bundlePem));
        await tls.AuthenticateAsClientAsync(new SslClientAuthenticationOptions
        {
            TargetHost = targetHost,
            CertificateChainPolicy = policy,
            // The test asserts what validation found (a wrong name, an unknown CA) rather than only that it failed.
#pragma warning disable CA5359
            RemoteCertificateValidationCallback = (_, _, _, found) =>
            {
                errors = found;
                return true;
            },
#pragma warning restore CA5359
        });
        return (errors, X509CertificateLoader.LoadCertificate(tls.RemoteCertificate!.GetRawCertData()));
    }

    private static async Task<ProcessResult> SClientAsync(string folder, int port, params string[] verify) =>
        await ProcessRunner.RunAsync("openssl", ["s_client", "-connect", $"127.0.0.1:{port}", "-CAfile", "ca.crt", "-verify_return_error", .. verify],
            stdin: "", workingDirectory: folder);
}
