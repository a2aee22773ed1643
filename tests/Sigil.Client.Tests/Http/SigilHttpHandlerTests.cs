using System.Collections.Concurrent;
using Microsoft.Extensions.Time.Testing;
using Sigil.Client.Http;
using Sigil.Client.Mounting;
using Sigil.Client.Tests.Support;
using Sigil.Client.X509;

namespace Sigil.Client.Tests.Http;

/// <summary>
/// The mTLS client against <c>openssl s_server</c>, a server we did not write: it must complete the handshake with the
/// current SVID, refuse servers it should not talk to, and present a renewed SVID on the next connection.
/// </summary>
public sealed class SigilHttpHandlerTests : IDisposable
{
    private static readonly SpiffeId Orders = SpiffeId.Parse("spiffe://cluster.local/ns/shop/sa/orders");

    private readonly TestPki _pki = new();
    private readonly KubeletFolder _folder = new();
    private readonly ConcurrentQueue<HandshakeInfo> _handshakes = new();

    private X509SvidSource Source(Sigil.Identity.IssuedSvid svid)
    {
        _folder.Write(TestPki.Files(svid));
        // Reloads only when the test says so: Reload() below.
        return new X509SvidSource(_folder.Path, new CredentialSourceOptions { WatchFileSystem = false, TimeProvider = new FakeTimeProvider() });
    }

    private HttpClient Client(X509SvidSource source, SpiffeIdAuthorizer authorizer) =>
        new(SigilHttpHandler.Create(source, authorizer, new SigilHttpHandlerOptions { OnHandshake = _handshakes.Enqueue }));

    private static HttpRequestMessage NewConnectionGet(Uri url) => new(HttpMethod.Get, url) { Headers = { ConnectionClose = true } };

    [Fact]
    public async Task A_client_completes_mutual_TLS_with_openssl_which_sees_its_SVID_and_the_host_name_is_not_checked()
    {
        var serverSvid = _pki.Issue(_pki.Ours, "shop", "orders");
        var clientSvid = _pki.Issue(_pki.Ours, "shop", "payments");
        using var server = await OpensslServer.StartAsync(serverSvid, _pki.Ours.TrustBundlePem);
        using var source = Source(clientSvid);
        using var http = Client(source, SpiffeIdAuthorizer.Exact(Orders));

        // 127.0.0.1 is in no SAN of the server's certificate: the SPIFFE ID is what is checked.
        var page = await http.GetStringAsync(server.Url, TestContext.Current.CancellationToken);

        Assert.Contains("Client certificate", page, StringComparison.Ordinal);
        Assert.Contains(OpensslServer.OpensslSerial(clientSvid.Facts.SerialNumber), page, StringComparison.Ordinal);
        Assert.Contains("URI:spiffe://cluster.local/ns/shop/sa/payments", page, StringComparison.Ordinal);
        var handshake = Assert.Single(_handshakes);
        Assert.Equal(new HandshakeInfo(Orders, serverSvid.Facts.SerialNumber, clientSvid.Facts.SerialNumber), handshake);
    }

    public static TheoryData<string, string> RefusedServers => new()
    {
        { "a server whose certificate chains to another CA of the same trust domain name", "stranger" },
        { "a server of our CA whose SPIFFE ID the authorizer does not allow", "wrong-id" },
        { "a server of another trust domain, with the path the authorizer allows", "other-domain" },
    };

    [Theory]
    [MemberData(nameof(RefusedServers))]
    public async Task The_client_refuses(string because, string server)
    {
        var serverSvid = server switch
        {
            "stranger" => _pki.Issue(_pki.Stranger, "shop", "orders"),
            "wrong-id" => _pki.Issue(_pki.Ours, "shop", "orders-evil"),
            _ => _pki.Issue(_pki.NewCa("other.example"), "shop", "orders", trustDomain: "other.example"),
        };
        var clientSvid = _pki.Issue(_pki.Ours, "shop", "payments");
        using var openssl = await OpensslServer.StartAsync(serverSvid, _pki.Ours.TrustBundlePem);
        using var source = Source(clientSvid);
        using var http = Client(source, SpiffeIdAuthorizer.Exact(Orders));

        var refused = await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync(openssl.Url, TestContext.Current.CancellationToken));

        Assert.IsType<System.Security.Authentication.AuthenticationException>(refused.InnerException);
        Assert.True(_handshakes.IsEmpty, because);
    }

    [Fact]
    public async Task Under_a_shared_upstream_root_the_client_refuses_a_server_of_another_trust_domain_even_when_any_SPIFFE_ID_is_allowed()
    {
        // openssl s_server sends no intermediate, so the server here is a Kestrel with UseSigilMtls, which does.
        var (intermediate, root) = TestPki.PlatformIntermediate(_pki.Now);
        var rootPem = root.ExportCertificatePem();
        var evil = _pki.Issue(intermediate, "shop", "orders", bundlePem: rootPem, trustDomain: "evil.example");
        using var evilFolder = new KubeletFolder();
        evilFolder.Write(TestPki.Files(evil));
        await using var server = await AspNetCore.SigilTestServer.StartAsync(evilFolder.Path, SpiffeIdAuthorizer.Any());
        using var source = Source(_pki.Issue(intermediate, "shop", "payments", bundlePem: rootPem));
        using var http = Client(source, SpiffeIdAuthorizer.Any());

        await Assert.ThrowsAsync<HttpRequestException>(() => http.GetStringAsync(new Uri($"https://127.0.0.1:{server.Port}/"), TestContext.Current.CancellationToken));

        Assert.True(_handshakes.IsEmpty, "the client accepted a server of evil.example");
    }

    [Fact]
    public async Task After_the_folder_swaps_to_a_renewed_SVID_the_next_connection_presents_the_new_certificate()
    {
        var serverSvid = _pki.Issue(_pki.Ours, "shop", "orders");
        var first = _pki.Issue(_pki.Ours, "shop", "payments");
        var renewed = _pki.Issue(_pki.Ours, "shop", "payments", at: _pki.Now + TimeSpan.FromSeconds(1));
        using var server = await OpensslServer.StartAsync(serverSvid, _pki.Ours.TrustBundlePem);
        using var source = Source(first);
        using var http = Client(source, SpiffeIdAuthorizer.Exact(Orders));
        using var before = await http.SendAsync(NewConnectionGet(server.Url), TestContext.Current.CancellationToken);

        _folder.Write(TestPki.Files(renewed));
        Assert.True(source.Reload());
        using var after = await http.SendAsync(NewConnectionGet(server.Url), TestContext.Current.CancellationToken);
        var page = await after.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.Contains(OpensslServer.OpensslSerial(renewed.Facts.SerialNumber), page, StringComparison.Ordinal);
        Assert.DoesNotContain(OpensslServer.OpensslSerial(first.Facts.SerialNumber), page, StringComparison.Ordinal);
        Assert.Equal([first.Facts.SerialNumber, renewed.Facts.SerialNumber], _handshakes.Select(h => h.ClientSerialNumber));
    }

    [Fact]
    public async Task A_server_of_a_new_CA_is_accepted_once_the_mounted_bundle_holds_both_CAs()
    {
        var next = _pki.NewCa();
        var serverSvid = _pki.Issue(next, "shop", "orders");
        var clientSvid = _pki.Issue(_pki.Ours, "shop", "payments");
        using var server = await OpensslServer.StartAsync(serverSvid, _pki.Ours.TrustBundlePem);
        using var source = Source(clientSvid);
        using var http = Client(source, SpiffeIdAuthorizer.Exact(Orders));
        await Assert.ThrowsAsync<HttpRequestException>(() => http.SendAsync(NewConnectionGet(server.Url), TestContext.Current.CancellationToken));

        _folder.Write(TestPki.Files(_pki.Issue(_pki.Ours, "shop", "payments", bundlePem: _pki.Ours.TrustBundlePem + next.TrustBundlePem)));
        Assert.True(source.Reload());
        using var response = await http.SendAsync(NewConnectionGet(server.Url), TestContext.Current.CancellationToken);

        Assert.True(response.IsSuccessStatusCode);
        Assert.Equal(serverSvid.Facts.SerialNumber, Assert.Single(_handshakes).ServerSerialNumber);
    }

    // openssl s_server -Verify with a CAfile holding only the root: the client must send the intermediate of tls.crt.
    [Fact]
    public async Task An_SVID_signed_by_a_platform_intermediate_is_presented_with_its_intermediate_to_a_server_trusting_only_the_root()
    {
        var (intermediate, root) = TestPki.PlatformIntermediate(_pki.Now);
        var serverSvid = _pki.Issue(_pki.Ours, "shop", "orders");
        var clientSvid = _pki.Issue(intermediate, "shop", "payments", bundlePem: _pki.Ours.TrustBundlePem);
        using var server = await OpensslServer.StartAsync(serverSvid, root.ExportCertificatePem());
        using var source = Source(clientSvid);
        using var http = Client(source, SpiffeIdAuthorizer.Exact(Orders));

        var page = await http.GetStringAsync(server.Url, TestContext.Current.CancellationToken);

        Assert.Contains(OpensslServer.OpensslSerial(clientSvid.Facts.SerialNumber), page, StringComparison.Ordinal);
    }

    [Fact]
    public void A_pool_lifetime_that_is_not_positive_is_refused_and_the_default_is_one_minute()
    {
        using var source = Source(_pki.Issue(_pki.Ours, "shop", "payments"));
        using var handler = Assert.IsType<SvidHandler>(SigilHttpHandler.Create(source, SpiffeIdAuthorizer.Any()));

        Assert.Equal(TimeSpan.FromMinutes(1), handler.CurrentHandler.PooledConnectionLifetime);
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            SigilHttpHandler.Create(source, SpiffeIdAuthorizer.Any(), new SigilHttpHandlerOptions { PooledConnectionLifetime = Timeout.InfiniteTimeSpan }));
    }

    [Fact]
    public async Task A_disposed_handler_refuses_requests_and_no_longer_follows_the_SVID()
    {
        using var source = Source(_pki.Issue(_pki.Ours, "shop", "payments"));
        var handler = Assert.IsType<SvidHandler>(SigilHttpHandler.Create(source, SpiffeIdAuthorizer.Any()));
        var pool = handler.CurrentHandler;
        using var invoker = new HttpMessageInvoker(handler);

        handler.Dispose();
        _folder.Write(TestPki.Files(_pki.Issue(_pki.Ours, "shop", "payments", at: _pki.Now + TimeSpan.FromSeconds(1))));
        Assert.True(source.Reload());

        await Assert.ThrowsAsync<ObjectDisposedException>(() =>
            invoker.SendAsync(new HttpRequestMessage(HttpMethod.Get, "https://127.0.0.1:1/"), TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ObjectDisposedException>(() =>
            new HttpMessageInvoker(pool, disposeHandler: false).SendAsync(new HttpRequestMessage(HttpMethod.Get, "https://127.0.0.1:1/"), TestContext.Current.CancellationToken));
    }

    public void Dispose()
    {
        _folder.Dispose();
        _pki.Dispose();
    }
}
