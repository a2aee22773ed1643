using Microsoft.Extensions.Time.Testing;
using Sigil.Client.Http;
using Sigil.Client.Jwt;
using Sigil.Client.Mounting;
using Sigil.Client.Tests.Support;

namespace Sigil.Client.Tests.Http;

public sealed class JwtSvidHandlerTests : IDisposable
{
    private readonly KubeletFolder _folder = new();

    [Fact]
    public async Task Each_request_carries_the_audiences_current_token_and_an_unknown_audience_fails_naming_the_files()
    {
        _folder.Write(new Dictionary<string, string> { ["orders.jwt"] = "h.orders1.s", ["vault.jwt"] = "h.vault1.s" });
        using var source = new JwtSvidSource(_folder.Path, new CredentialSourceOptions { WatchFileSystem = false, TimeProvider = new FakeTimeProvider() });
        var capture = new CapturingHandler();
        using var http = new HttpClient(new JwtSvidHandler(source, "orders") { InnerHandler = capture });
        using var wrong = new HttpClient(new JwtSvidHandler(source, "billing") { InnerHandler = new CapturingHandler() });

        using var _ = await http.GetAsync("https://orders.shop.svc/", TestContext.Current.CancellationToken);
        _folder.Write(new Dictionary<string, string> { ["orders.jwt"] = "h.orders2.s", ["vault.jwt"] = "h.vault2.s" });
        source.Reload();
        using var __ = await http.GetAsync("https://orders.shop.svc/", TestContext.Current.CancellationToken);
        var missing = await Assert.ThrowsAsync<SigilCredentialException>(() => wrong.GetAsync("https://billing.shop.svc/", TestContext.Current.CancellationToken));

        Assert.Equal(["Bearer h.orders1.s", "Bearer h.orders2.s"], capture.Authorizations);
        Assert.Contains("orders.jwt", missing.Message, StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();
}
