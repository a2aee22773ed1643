using System.Net;
using System.Security.Cryptography.X509Certificates;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Hosting;
using Microsoft.AspNetCore.Hosting.Server;
using Microsoft.AspNetCore.Hosting.Server.Features;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Server.Kestrel.Https;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Time.Testing;
using Sigil.Client.Http;
using Sigil.Client.Mounting;
using Sigil.Client.Tests.Support;
using Sigil.Client.X509;

namespace Sigil.Client.Tests.Http;

/// <summary>
/// A keep-alive server (Kestrel, which answers each request with the serial of the client certificate its connection
/// was opened with): a renewed SVID is presented from the very next request on, even while a keep-alive connection
/// opened with the previous one is still pooled, and a request under way on that connection completes.
/// </summary>
public sealed class PooledConnectionLifetimeTests : IDisposable
{
    private readonly TestPki _pki = new();
    private readonly KubeletFolder _folder = new();

    [Fact]
    public async Task A_pooled_connection_is_replaced_after_its_lifetime_and_the_new_one_presents_the_renewed_SVID()
    {
        var first = _pki.Issue(_pki.Ours, "shop", "payments");
        var renewed = _pki.Issue(_pki.Ours, "shop", "payments", at: _pki.Now + TimeSpan.FromSeconds(1));
        await using var server = await StartServerAsync(TestPki.Leaf(_pki.Issue(_pki.Ours, "shop", "orders")));
        _folder.Write(TestPki.Files(first));
        using var source = new X509SvidSource(_folder.Path, new CredentialSourceOptions { WatchFileSystem = false, TimeProvider = new FakeTimeProvider() });
        var handshakes = 0;
        using var http = new HttpClient(SigilHttpHandler.Create(source, SpiffeIdAuthorizer.MemberOf("cluster.local"), new SigilHttpHandlerOptions
        {
            PooledConnectionLifetime = TimeSpan.FromMilliseconds(300),
            OnHandshake = _ => Interlocked.Increment(ref handshakes),
        }));
        var url = $"https://127.0.0.1:{server.Port}/";

        var before = await http.GetStringAsync(url, TestContext.Current.CancellationToken);
        _folder.Write(TestPki.Files(renewed));
        Assert.True(source.Reload());
        await Task.Delay(TimeSpan.FromSeconds(1), TestContext.Current.CancellationToken); // past the lifetime, not a timing assertion
        var after = await http.GetStringAsync(url, TestContext.Current.CancellationToken);

        Assert.Equal(first.Facts.SerialNumber, before);
        Assert.Equal(renewed.Facts.SerialNumber, after);
        Assert.Equal(2, handshakes);
    }

    [Fact]
    public async Task The_very_next_request_after_a_renewal_presents_the_new_certificate_though_a_keep_alive_connection_is_pooled()
    {
        var first = _pki.Issue(_pki.Ours, "shop", "payments");
        var renewed = _pki.Issue(_pki.Ours, "shop", "payments", at: _pki.Now + TimeSpan.FromSeconds(1));
        await using var server = await StartServerAsync(TestPki.Leaf(_pki.Issue(_pki.Ours, "shop", "orders")));
        _folder.Write(TestPki.Files(first));
        using var source = new X509SvidSource(_folder.Path, new CredentialSourceOptions { WatchFileSystem = false, TimeProvider = new FakeTimeProvider() });
        var presented = new System.Collections.Concurrent.ConcurrentQueue<string?>();
        using var http = new HttpClient(SigilHttpHandler.Create(source, SpiffeIdAuthorizer.MemberOf("cluster.local"), new SigilHttpHandlerOptions
        {
            PooledConnectionLifetime = TimeSpan.FromHours(1),
            OnHandshake = h => presented.Enqueue(h.ClientSerialNumber),
        }));
        var url = $"https://127.0.0.1:{server.Port}/";
        var before = await http.GetStringAsync(url, TestContext.Current.CancellationToken);
        var again = await http.GetStringAsync(url, TestContext.Current.CancellationToken); // the pooled connection, kept alive

        _folder.Write(TestPki.Files(renewed));
        Assert.True(source.Reload());
        var after = await http.GetStringAsync(url, TestContext.Current.CancellationToken);

        Assert.Equal(first.Facts.SerialNumber, before);
        Assert.Equal(first.Facts.SerialNumber, again);
        Assert.Equal(renewed.Facts.SerialNumber, after);
        Assert.Equal([first.Facts.SerialNumber, renewed.Facts.SerialNumber], presented);
    }

    [Fact]
    public async Task A_request_under_way_when_the_SVID_is_renewed_completes_on_its_connection()
    {
        var first = _pki.Issue(_pki.Ours, "shop", "payments");
        var renewed = _pki.Issue(_pki.Ours, "shop", "payments", at: _pki.Now + TimeSpan.FromSeconds(1));
        var received = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var server = await StartServerAsync(TestPki.Leaf(_pki.Issue(_pki.Ours, "shop", "orders")), received, release.Task);
        _folder.Write(TestPki.Files(first));
        using var source = new X509SvidSource(_folder.Path, new CredentialSourceOptions { WatchFileSystem = false, TimeProvider = new FakeTimeProvider() });
        using var http = new HttpClient(SigilHttpHandler.Create(source, SpiffeIdAuthorizer.MemberOf("cluster.local"),
            new SigilHttpHandlerOptions { PooledConnectionLifetime = TimeSpan.FromHours(1) }));
        var url = $"https://127.0.0.1:{server.Port}/";

        var slow = http.GetStringAsync(url + "slow", TestContext.Current.CancellationToken);
        await received.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        _folder.Write(TestPki.Files(renewed));
        Assert.True(source.Reload());
        var after = await http.GetStringAsync(url, TestContext.Current.CancellationToken);
        release.SetResult();

        Assert.Equal(renewed.Facts.SerialNumber, after);
        Assert.Equal(first.Facts.SerialNumber + " slow", await slow.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken));
    }

    private static async Task<RunningServer> StartServerAsync(X509Certificate2 certificate, TaskCompletionSource? received = null, Task? release = null)
    {
        var builder = WebApplication.CreateSlimBuilder();
        builder.WebHost.ConfigureKestrel(kestrel => kestrel.Listen(IPAddress.Loopback, 0, listen => listen.UseHttps(new HttpsConnectionAdapterOptions
        {
            ServerCertificate = certificate,
            ClientCertificateMode = ClientCertificateMode.RequireCertificate,
            ClientCertificateValidation = (_, _, _) => true, // this server only reports what it was shown
        })));
        var app = builder.Build();
        app.MapGet("/", (HttpContext context) => context.Connection.ClientCertificate?.SerialNumber.ToLowerInvariant() ?? "none");
        // Answers (with the first bytes sent at once) only once the test releases it.
        app.MapGet("/slow", async (HttpContext context) =>
        {
            await context.Response.WriteAsync((context.Connection.ClientCertificate?.SerialNumber.ToLowerInvariant() ?? "none") + " ");
            await context.Response.Body.FlushAsync();
            received?.TrySetResult();
            await (release ?? Task.CompletedTask);
            await context.Response.WriteAsync("slow");
        });
        await app.StartAsync();
        var address = app.Services.GetRequiredService<IServer>().Features.Get<IServerAddressesFeature>()!.Addresses.First();
        return new RunningServer(app, new Uri(address).Port);
    }

    private sealed record RunningServer(WebApplication App, int Port) : IAsyncDisposable
    {
        public ValueTask DisposeAsync() => App.DisposeAsync();
    }

    public void Dispose()
    {
        _folder.Dispose();
        _pki.Dispose();
    }
}
