using System.Net;
using System.Text;
using Microsoft.Extensions.Time.Testing;
using Sigil.Client.ApiKeys;
using Sigil.Client.Http;
using Sigil.Client.Mounting;
using Sigil.Client.Tests.Support;

namespace Sigil.Client.Tests.Http;

/// <summary>
/// HMAC request signing, checked by a verifier we did not write (Node's crypto, over the request as it arrived), and by
/// the library's own verifier for what a receiver must refuse.
/// </summary>
public sealed class HmacSigningHandlerTests : IDisposable
{
    private readonly KubeletFolder _folder = new();
    private readonly (string KeyId, string Key, string HmacSecret) _key = ApiKeyFolders.NewKey();

    private ApiKeySource Source(Dictionary<string, string> files)
    {
        _folder.Write(files);
        return new ApiKeySource(_folder.Path, new CredentialSourceOptions { WatchFileSystem = false, TimeProvider = new FakeTimeProvider() });
    }

    public static TheoryData<string, string, string?> Requests => new()
    {
        { "POST", "/orders?b=2&a=1", """{"item":"tea","qty":2}""" },
        { "GET", "/orders/42?filter=a%2Fb&x=%C3%A9", null },
        { "PUT", "/orders/42", "" },
        { "DELETE", "/", null },
    };

    [Theory]
    [MemberData(nameof(Requests))]
    public async Task Node_verifies_the_signature_over_the_method_path_query_and_body_as_sent(string method, string pathAndQuery, string? body)
    {
        using var node = await NodeHmacServer.StartAsync(_key.KeyId, _key.HmacSecret);
        using var source = Source(ApiKeyFolders.Hmac(_key));
        using var http = new HttpClient(new HmacSigningHandler(source) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = node.Url };
        using var request = new HttpRequestMessage(new HttpMethod(method), pathAndQuery)
        {
            Content = body is null ? null : new StringContent(body, Encoding.UTF8, "application/json"),
        };

        using var response = await http.SendAsync(request, TestContext.Current.CancellationToken);
        var answer = await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken);

        Assert.True(response.StatusCode == HttpStatusCode.OK, answer);
        Assert.Equal($"verified {method} {pathAndQuery} {Encoding.UTF8.GetByteCount(body ?? "")}", answer);
    }

    [Fact]
    public async Task A_streamed_body_is_buffered_so_the_bytes_hashed_are_the_bytes_sent()
    {
        using var node = await NodeHmacServer.StartAsync(_key.KeyId, _key.HmacSecret);
        using var source = Source(ApiKeyFolders.Hmac(_key));
        using var http = new HttpClient(new HmacSigningHandler(source) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = node.Url };
        var bytes = Encoding.UTF8.GetBytes(new string('x', 100_000));

        using var response = await http.PostAsync("/upload", new StreamContent(new NonSeekableStream(bytes)), TestContext.Current.CancellationToken);

        Assert.Equal("verified POST /upload 100000", await response.Content.ReadAsStringAsync(TestContext.Current.CancellationToken));
    }

    [Fact]
    public async Task A_signature_made_with_another_secret_is_refused_by_node()
    {
        using var node = await NodeHmacServer.StartAsync(_key.KeyId, ApiKeyFolders.NewKey().HmacSecret);
        using var source = Source(ApiKeyFolders.Hmac(_key));
        using var http = new HttpClient(new HmacSigningHandler(source) { InnerHandler = new SocketsHttpHandler() }) { BaseAddress = node.Url };

        using var response = await http.GetAsync("/orders", TestContext.Current.CancellationToken);

        Assert.Equal(HttpStatusCode.Unauthorized, response.StatusCode);
    }

    [Fact]
    public async Task The_signature_verifies_with_the_library_verifier_and_not_for_another_path_body_or_a_stale_clock()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 2, 0, 0, TimeSpan.Zero));
        var capture = new CapturingHandler();
        using var source = Source(ApiKeyFolders.Hmac(_key));
        using var http = new HttpClient(new HmacSigningHandler(source, clock) { InnerHandler = capture });
        using var _ = await http.PostAsync("https://orders.shop.svc/orders?a=1", new StringContent("{}"), TestContext.Current.CancellationToken);
        var header = capture.Authorization!;
        Assert.StartsWith("Sigil-HMAC-SHA256 ", header, StringComparison.Ordinal);
        Assert.True(HmacSignature.TryParseParameters(header["Sigil-HMAC-SHA256 ".Length..], out var authorization));
        var verifier = new VerifierKeys([new VerifierKey(_key.KeyId, "spiffe://cluster.local/ns/shop/sa/payments", "orders", "HMACSHA256", null, _key.HmacSecret, null)]);
        var body = HmacSignature.BodyHash("{}"u8);
        var window = HmacSignature.DefaultReplayWindow;

        Assert.Equal(clock.GetUtcNow().ToUnixTimeSeconds(), authorization.Timestamp);
        Assert.NotNull(verifier.VerifyHmac(authorization, "POST", "/orders?a=1", body, clock.GetUtcNow(), window));
        Assert.Null(verifier.VerifyHmac(authorization, "POST", "/orders?a=2", body, clock.GetUtcNow(), window));
        Assert.Null(verifier.VerifyHmac(authorization, "POST", "/admin?a=1", body, clock.GetUtcNow(), window));
        Assert.Null(verifier.VerifyHmac(authorization, "POST", "/orders?a=1", HmacSignature.BodyHash("{ }"u8), clock.GetUtcNow(), window));
        Assert.Null(verifier.VerifyHmac(authorization, "PUT", "/orders?a=1", body, clock.GetUtcNow(), window));
        Assert.Null(verifier.VerifyHmac(authorization, "POST", "/orders?a=1", body, clock.GetUtcNow() + TimeSpan.FromMinutes(6), window));
        Assert.Null(verifier.VerifyHmac(authorization with { Nonce = "another" }, "POST", "/orders?a=1", body, clock.GetUtcNow(), window));
        Assert.Null(verifier.VerifyHmac(authorization with { Nonce = null }, "POST", "/orders?a=1", body, clock.GetUtcNow(), window));
    }

    [Fact]
    public async Task Two_identical_requests_in_the_same_second_carry_different_nonces_and_so_different_signatures()
    {
        var clock = new FakeTimeProvider(new DateTimeOffset(2026, 12, 1, 2, 0, 0, TimeSpan.Zero));
        var capture = new CapturingHandler();
        using var source = Source(ApiKeyFolders.Hmac(_key));
        using var http = new HttpClient(new HmacSigningHandler(source, clock) { InnerHandler = capture });

        using (await http.GetAsync("https://orders.shop.svc/orders", TestContext.Current.CancellationToken)) { }
        var first = capture.Authorization!;
        using (await http.GetAsync("https://orders.shop.svc/orders", TestContext.Current.CancellationToken)) { }
        Assert.True(HmacSignature.TryParseParameters(first["Sigil-HMAC-SHA256 ".Length..], out var one));
        Assert.True(HmacSignature.TryParseParameters(capture.Authorization!["Sigil-HMAC-SHA256 ".Length..], out var two));

        Assert.Equal(one.Timestamp, two.Timestamp);
        Assert.NotNull(one.Nonce);
        Assert.NotEqual(one.Nonce, two.Nonce);
        Assert.NotEqual(one.Signature, two.Signature);
    }

    [Fact]
    public async Task A_Bearer_key_cannot_sign_and_the_error_says_why_without_the_key()
    {
        using var source = Source(ApiKeyFolders.Bearer(_key));
        using var http = new HttpClient(new HmacSigningHandler(source) { InnerHandler = new CapturingHandler() });

        var error = await Assert.ThrowsAsync<InvalidOperationException>(() => http.GetAsync("https://orders.shop.svc/", TestContext.Current.CancellationToken));

        Assert.Contains("hmac-secret", error.Message, StringComparison.Ordinal);
        Assert.Contains("HMACSHA256", error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_key.Key, error.Message, StringComparison.Ordinal);
        Assert.DoesNotContain(_key.Key.Split('_')[2], error.ToString(), StringComparison.Ordinal);
    }

    public void Dispose() => _folder.Dispose();

    private sealed class NonSeekableStream(byte[] content) : MemoryStream(content)
    {
        public override bool CanSeek => false;
    }
}

/// <summary>Records the request it is given and answers 200, in place of the network.</summary>
internal sealed class CapturingHandler : HttpMessageHandler
{
    public string? Authorization { get; private set; }

    public List<string?> Authorizations { get; } = [];

    protected override Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        Authorization = request.Headers.TryGetValues("Authorization", out var values) ? values.Single() : null;
        Authorizations.Add(Authorization);
        return Task.FromResult(new HttpResponseMessage(HttpStatusCode.OK));
    }
}
