using System.Collections.Concurrent;
using System.Net;
using System.Security.Cryptography.X509Certificates;
using Sigil.AspNetCore;
using Sigil.Client.Mounting;
using Sigil.Identity;
using Sigil.Tests.Support;
using ClientSpiffeId = Sigil.Client.SpiffeId;

namespace Sigil.Client.Tests.AspNetCore.Kestrel;

/// <summary>
/// UseSigilMtls on a real Kestrel, checked with clients we did not write (curl, openssl s_client) and .NET's
/// SslStream: who is refused in the handshake, that the served certificate follows the mounted folder without a
/// restart, and that a CA rotation goes through.
/// </summary>
public sealed class SigilMtlsTests : IDisposable
{
    private static readonly SpiffeIdAuthorizer PaymentsOrFrontend =
        SpiffeIdAuthorizer.OneOf(ClientSpiffeId.Parse(SigilWorld.Payments.ToString()), ClientSpiffeId.Parse(SigilWorld.Frontend.ToString()));

    private readonly SigilWorld _world = new();

    public void Dispose() => _world.Dispose();

    private async Task<SigilTestServer> ServerAsync(SigilMtlsOptions? options = null, bool perEndpoint = false, IssuedSvid? serverSvid = null, string? bundle = null,
        string? url = null)
    {
        var folder = _world.WriteSvidFolder("orders-svid-" + Guid.NewGuid().ToString("N"), serverSvid ?? SigilWorld.Issue(_world.Ca, SigilWorld.Orders), bundle);
        return await SigilTestServer.StartAsync(folder, PaymentsOrFrontend, auth => auth.AddSigilClientCertificate(), options, perEndpoint: perEndpoint, url: url);
    }

    [Fact]
    public async Task Curl_without_a_client_certificate_is_refused_in_the_handshake()
    {
        await using var server = await ServerAsync();
        var caCert = _world.WritePemFiles("ca-only", SigilWorld.Issue(_world.Ca, SigilWorld.Payments)).CaCert;

        var result = await Curl.GetAsync(server, "/" + SigilAuthenticationDefaults.ClientCertificateScheme, caCert);

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal(0, result.Status);
        Assert.DoesNotContain("spiffe://", result.Body, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Curl_with_a_certificate_from_a_CA_that_is_not_in_the_bundle_is_refused_even_with_an_allowed_SPIFFE_ID()
    {
        await using var server = await ServerAsync();
        var stranger = _world.WritePemFiles("stranger", SigilWorld.Issue(_world.Stranger, SigilWorld.Payments), _world.Ca.TrustBundlePem);

        var result = await Curl.GetAsync(server, "/" + SigilAuthenticationDefaults.ClientCertificateScheme, stranger.CaCert, (stranger.Cert, stranger.Key));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal(0, result.Status);
        Assert.Contains(server.Logs.Lines, l => l.Contains("does not chain to the trust bundle", StringComparison.Ordinal));
    }

    [Fact]
    public async Task Curl_with_a_certificate_from_our_CA_whose_SPIFFE_ID_the_authorizer_refuses_is_refused()
    {
        await using var server = await ServerAsync();
        var intruder = _world.WritePemFiles("intruder", SigilWorld.Issue(_world.Ca, SigilWorld.Intruder));

        var result = await Curl.GetAsync(server, "/" + SigilAuthenticationDefaults.ClientCertificateScheme, intruder.CaCert, (intruder.Cert, intruder.Key));

        Assert.NotEqual(0, result.ExitCode);
        Assert.Equal(0, result.Status);
        Assert.Contains(server.Logs.Lines, l => l.Contains($"{SigilWorld.Intruder} is not allowed here", StringComparison.Ordinal));
    }

    [Fact]
    public async Task An_expired_SVID_of_an_allowed_identity_is_refused()
    {
        await using var server = await ServerAsync();
        var expired = new SvidIssuer(_world.Ca, new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow - TimeSpan.FromHours(3)))
            .Issue(new SvidRequest(SigilWorld.Payments, [], KeyAlgorithm.ECDSAP256, TimeSpan.FromHours(1)));
        using var client = SigilTestServer.Client(expired, _world.Ca.TrustBundlePem);

        await Assert.ThrowsAsync<HttpRequestException>(() => client.GetStringAsync(server.Url("/" + SigilAuthenticationDefaults.ClientCertificateScheme)));
    }

    [Theory]
    [InlineData("https://127.0.0.1:0")]
    [InlineData("http://127.0.0.1:0")]
    public async Task On_the_web_host_every_endpoint_from_URLs_is_served_with_mTLS(string url)
    {
        await using var server = await ServerAsync(url: url);
        var payments = _world.WritePemFiles("payments", SigilWorld.Issue(_world.Ca, SigilWorld.Payments));

        var allowed = await Curl.GetAsync(server, "/" + SigilAuthenticationDefaults.ClientCertificateScheme, payments.CaCert, (payments.Cert, payments.Key));
        var anonymous = await Curl.GetAsync(server, "/" + SigilAuthenticationDefaults.ClientCertificateScheme, payments.CaCert);

        Assert.True(allowed.ExitCode == 0, allowed.Error);
        Assert.Equal((200, SigilWorld.Payments.ToString()), (allowed.Status, allowed.Body));
        Assert.Equal(0, anonymous.Status);
    }

    [Fact]
    public async Task Curl_with_an_allowed_SVID_gets_its_SPIFFE_ID_back_as_the_user()
    {
        await using var server = await ServerAsync();
        var payments = _world.WritePemFiles("payments", SigilWorld.Issue(_world.Ca, SigilWorld.Payments));

        var result = await Curl.GetAsync(server, "/" + SigilAuthenticationDefaults.ClientCertificateScheme, payments.CaCert, (payments.Cert, payments.Key));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal((200, SigilWorld.Payments.ToString()), (result.Status, result.Body));
    }

    [Fact]
    public async Task Openssl_s_client_sees_the_served_certificate_change_when_the_folder_swaps_to_a_renewed_SVID_without_a_restart()
    {
        var first = SigilWorld.Issue(_world.Ca, SigilWorld.Orders);
        await using var server = await ServerAsync(serverSvid: first);
        var client = _world.WritePemFiles("payments", SigilWorld.Issue(_world.Ca, SigilWorld.Payments));
        Assert.Equal(first.Facts.SerialNumber, await ServedSerialAsync(server, client));

        var renewed = SigilWorld.Issue(_world.Ca, SigilWorld.Orders);
        SwapSvidFolder(server.Svid.Directory, renewed);

        string? served = null;
        await Eventually.TrueAsync(async () => (served = await ServedSerialAsync(server, client)) == renewed.Facts.SerialNumber,
            TimeSpan.FromSeconds(20), "the renewed certificate was never served");
        Assert.NotEqual(first.Facts.SerialNumber, served);
    }

    [Fact]
    public async Task During_a_CA_rotation_a_server_on_the_new_CA_accepts_a_client_still_on_the_old_one_and_curl_trusts_the_server()
    {
        using var next = CertificateAuthority.CreateRoot(SigilWorld.TrustDomain, TimeProvider.System);
        var bundle = _world.Ca.TrustBundlePem + next.TrustBundlePem;
        await using var server = await ServerAsync(serverSvid: SigilWorld.Issue(next, SigilWorld.Orders, bundlePem: bundle), bundle: bundle);
        var oldClient = _world.WritePemFiles("payments-old-ca", SigilWorld.Issue(_world.Ca, SigilWorld.Payments), bundle);

        var result = await Curl.GetAsync(server, "/" + SigilAuthenticationDefaults.ClientCertificateScheme, oldClient.CaCert, (oldClient.Cert, oldClient.Key));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal((200, SigilWorld.Payments.ToString()), (result.Status, result.Body));
    }

    [Fact]
    public async Task A_CA_added_to_the_mounted_bundle_is_trusted_for_the_next_handshake_without_a_restart()
    {
        using var next = CertificateAuthority.CreateRoot(SigilWorld.TrustDomain, TimeProvider.System);
        var serverSvid = SigilWorld.Issue(_world.Ca, SigilWorld.Orders);
        await using var server = await ServerAsync(serverSvid: serverSvid);
        var newClient = SigilWorld.Issue(next, SigilWorld.Payments);
        using (var before = SigilTestServer.Client(newClient, _world.Ca.TrustBundlePem))
        {
            await Assert.ThrowsAsync<HttpRequestException>(() => before.GetStringAsync(server.Url("/" + SigilAuthenticationDefaults.ClientCertificateScheme)));
        }

        SwapSvidFolder(server.Svid.Directory, serverSvid, _world.Ca.TrustBundlePem + next.TrustBundlePem);

        using var after = SigilTestServer.Client(newClient, _world.Ca.TrustBundlePem);
        await Eventually.TrueAsync(async () =>
        {
            try
            {
                return await after.GetStringAsync(server.Url("/" + SigilAuthenticationDefaults.ClientCertificateScheme)) == SigilWorld.Payments.ToString();
            }
            catch (HttpRequestException)
            {
                return false;
            }
        }, TimeSpan.FromSeconds(20), "a client of the added CA was never accepted");
    }

    [Fact]
    public async Task With_an_intermediate_CA_the_server_sends_its_chain_and_accepts_a_client_that_sends_its_own_both_checked_against_the_root_alone()
    {
        var (intermediate, rootPem) = _world.PlatformIntermediate();
        await using var server = await ServerAsync(serverSvid: SigilWorld.Issue(intermediate, SigilWorld.Orders, bundlePem: rootPem), bundle: rootPem);
        var payments = _world.WritePemFiles("payments-intermediate", SigilWorld.Issue(intermediate, SigilWorld.Payments, bundlePem: rootPem), rootPem);

        Assert.NotEmpty(await ServedSerialAsync(server, payments));
        var result = await Curl.GetAsync(server, "/" + SigilAuthenticationDefaults.ClientCertificateScheme, payments.CaCert, (payments.Cert, payments.Key));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal((200, SigilWorld.Payments.ToString()), (result.Status, result.Body));
    }

    [Fact]
    public async Task OnHandshake_reports_the_served_serial_and_the_clients_SPIFFE_ID_for_each_handshake()
    {
        var handshakes = new ConcurrentQueue<ServerHandshakeInfo>();
        var serverSvid = SigilWorld.Issue(_world.Ca, SigilWorld.Orders);
        await using var server = await ServerAsync(new SigilMtlsOptions { OnHandshake = handshakes.Enqueue }, serverSvid: serverSvid);
        var payments = SigilWorld.Issue(_world.Ca, SigilWorld.Payments);

        for (var i = 0; i < 2; i++)
        {
            using var client = SigilTestServer.Client(payments, _world.Ca.TrustBundlePem);
            Assert.Equal(SigilWorld.Payments.ToString(), await client.GetStringAsync(server.Url("/" + SigilAuthenticationDefaults.ClientCertificateScheme)));
        }

        Assert.Equal(2, handshakes.Count);
        Assert.All(handshakes, h => Assert.Equal(
            new ServerHandshakeInfo(serverSvid.Facts.SerialNumber, SigilWorld.Orders.ToString(), SigilWorld.Payments.ToString(), payments.Facts.SerialNumber), h));
    }

    [Fact]
    public async Task OnHandshake_tells_handshakes_on_the_old_certificate_from_those_on_the_renewed_one()
    {
        var handshakes = new ConcurrentQueue<ServerHandshakeInfo>();
        var first = SigilWorld.Issue(_world.Ca, SigilWorld.Orders);
        await using var server = await ServerAsync(new SigilMtlsOptions { OnHandshake = handshakes.Enqueue }, serverSvid: first);
        var payments = SigilWorld.Issue(_world.Ca, SigilWorld.Payments);
        async Task HandshakeAsync()
        {
            using var client = SigilTestServer.Client(payments, _world.Ca.TrustBundlePem);
            Assert.Equal(SigilWorld.Payments.ToString(), await client.GetStringAsync(server.Url("/" + SigilAuthenticationDefaults.ClientCertificateScheme)));
        }

        await HandshakeAsync();
        var renewed = SigilWorld.Issue(_world.Ca, SigilWorld.Orders);
        SwapSvidFolder(server.Svid.Directory, renewed);
        await Eventually.TrueAsync(async () =>
        {
            await HandshakeAsync();
            return handshakes.Last().ServedCertificateSerial == renewed.Facts.SerialNumber;
        }, TimeSpan.FromSeconds(20), "no handshake was served the renewed certificate");

        var perCertificate = handshakes.GroupBy(h => h.ServedCertificateSerial).ToDictionary(g => g.Key, g => g.Count());
        Assert.Equal(new HashSet<string> { first.Facts.SerialNumber, renewed.Facts.SerialNumber }, perCertificate.Keys.ToHashSet());
        Assert.Equal(1, perCertificate[renewed.Facts.SerialNumber]);
    }

    [Fact]
    public async Task An_endpoint_that_does_not_require_a_client_certificate_lets_a_client_without_one_connect_but_the_client_certificate_scheme_refuses_it()
    {
        await using var server = await ServerAsync(new SigilMtlsOptions { RequireClientCertificate = false }, perEndpoint: true);
        using var anonymous = SigilTestServer.Client(null, _world.Ca.TrustBundlePem);
        using var payments = SigilTestServer.Client(SigilWorld.Issue(_world.Ca, SigilWorld.Payments), _world.Ca.TrustBundlePem);
        using var intruder = SigilTestServer.Client(SigilWorld.Issue(_world.Ca, SigilWorld.Intruder), _world.Ca.TrustBundlePem);
        var url = server.Url("/" + SigilAuthenticationDefaults.ClientCertificateScheme);

        Assert.Equal(HttpStatusCode.Unauthorized, (await anonymous.GetAsync(url)).StatusCode);
        Assert.Equal(SigilWorld.Payments.ToString(), await payments.GetStringAsync(url));
        await Assert.ThrowsAsync<HttpRequestException>(() => intruder.GetStringAsync(url));
    }

    [Fact]
    public async Task Under_a_shared_upstream_root_a_client_of_another_trust_domain_is_refused_even_when_any_SPIFFE_ID_is_allowed()
    {
        var (intermediate, rootPem) = _world.PlatformIntermediate();
        var folder = _world.WriteSvidFolder("orders-shared-root", SigilWorld.Issue(intermediate, SigilWorld.Orders, bundlePem: rootPem), rootPem);
        await using var server = await SigilTestServer.StartAsync(folder, SpiffeIdAuthorizer.Any(), auth => auth.AddSigilClientCertificate());
        var evil = _world.WritePemFiles("evil", SigilWorld.Issue(intermediate, new Sigil.Identity.SpiffeId("evil.example", "shop", "payments"), bundlePem: rootPem), rootPem);
        var payments = _world.WritePemFiles("payments-shared-root", SigilWorld.Issue(intermediate, SigilWorld.Payments, bundlePem: rootPem), rootPem);
        var path = "/" + SigilAuthenticationDefaults.ClientCertificateScheme;

        var allowed = await Curl.GetAsync(server, path, payments.CaCert, (payments.Cert, payments.Key));
        var attacker = await Curl.GetAsync(server, path, evil.CaCert, (evil.Cert, evil.Key));

        Assert.Equal((200, SigilWorld.Payments.ToString()), (allowed.Status, allowed.Body));
        Assert.Equal(0, attacker.Status);
        Assert.Contains(server.Logs.Lines, l => l.Contains("spiffe://evil.example/ns/shop/sa/payments", StringComparison.Ordinal) && l.Contains("trust domain", StringComparison.Ordinal));
    }

    private void SwapSvidFolder(string folder, IssuedSvid svid, string? bundle = null) =>
        Support.KubeletFolder.WriteTo(folder, new Dictionary<string, string>
        {
            ["tls.crt"] = svid.CertificateChainPem,
            ["tls.key"] = svid.PrivateKeyPem,
            ["ca.crt"] = bundle ?? _world.Ca.TrustBundlePem,
        });

    /// <summary>The serial (lowercase hex) of the certificate openssl s_client is served, after it verified it against ca.crt.</summary>
    private static async Task<string> ServedSerialAsync(SigilTestServer server, (string Cert, string Key, string CaCert) client)
    {
        var result = await ProcessRunner.RunAsync("openssl",
        [
            "s_client", "-connect", $"127.0.0.1:{server.Port}", "-servername", SigilWorld.ServerDnsName,
            "-cert", client.Cert, "-key", client.Key, "-CAfile", client.CaCert, "-verify_return_error", "-verify_hostname", SigilWorld.ServerDnsName,
        ], stdin: "");
        // s_client sends close_notify at once (empty stdin); Kestrel, which got no request, may close the socket without
        // answering it, and s_client then reports an unexpected EOF after a handshake that succeeded. A refused handshake
        // shows as an alert instead, and fails here.
        var closedWithoutNotify = result.ExitCode == 1 && result.Stderr.Contains("unexpected eof while reading", StringComparison.Ordinal)
            && !result.Stderr.Contains("alert", StringComparison.Ordinal);
        Assert.True(result.ExitCode == 0 || closedWithoutNotify, $"openssl s_client exited {result.ExitCode}: {result.Stderr.Trim()}");
        Assert.Contains("Verify return code: 0 (ok)", result.Stdout, StringComparison.Ordinal);
        var begin = result.Stdout.IndexOf("-----BEGIN CERTIFICATE-----", StringComparison.Ordinal);
        var end = result.Stdout.IndexOf("-----END CERTIFICATE-----", begin, StringComparison.Ordinal) + "-----END CERTIFICATE-----".Length;
        using var served = X509Certificate2.CreateFromPem(result.Stdout.AsSpan()[begin..end]);
        return served.GetSerialNumberString().ToLowerInvariant();
    }
}
