using Microsoft.Extensions.Time.Testing;
using Sigil.Client.ApiKeys;
using Sigil.Client.Http;
using Sigil.Client.Mounting;
using Sigil.Client.Tests.Support;

namespace Sigil.Client.Tests.Http;

public sealed class ApiKeyHandlerTests : IDisposable
{
    private readonly KubeletFolder _folder = new();

    [Fact]
    public async Task Each_request_carries_the_current_key_and_a_rotated_key_from_the_next_request_on()
    {
        var first = ApiKeyFolders.NewKey();
        var rotated = ApiKeyFolders.NewKey();
        _folder.Write(ApiKeyFolders.Bearer(first));
        using var source = new ApiKeySource(_folder.Path, new CredentialSourceOptions { WatchFileSystem = false, TimeProvider = new FakeTimeProvider() });
        var capture = new CapturingHandler();
        using var http = new HttpClient(new ApiKeyHandler(source) { InnerHandler = capture });

        using var _ = await http.GetAsync("https://orders.shop.svc/", TestContext.Current.CancellationToken);
        _folder.Write(ApiKeyFolders.Bearer(rotated));
        source.Reload();
        using var __ = await http.GetAsync("https://orders.shop.svc/", TestContext.Current.CancellationToken);

        Assert.Equal([$"Bearer {first.Key}", $"Bearer {rotated.Key}"], capture.Authorizations);
        var receiver = new VerifierKeys([new VerifierKey(rotated.KeyId, "spiffe://cluster.local/ns/shop/sa/payments", "orders", "Bearer",
            Convert.ToHexStringLower(System.Security.Cryptography.SHA256.HashData(System.Text.Encoding.UTF8.GetBytes(rotated.Key))), null, null)]);
        Assert.NotNull(receiver.VerifyBearer(capture.Authorizations[1]!["Bearer ".Length..], DateTimeOffset.UtcNow));
    }

    public void Dispose() => _folder.Dispose();
}
