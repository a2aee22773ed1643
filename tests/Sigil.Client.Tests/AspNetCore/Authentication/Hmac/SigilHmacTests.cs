using System.Net;
using System.Text;
using Sigil.AspNetCore;
using Sigil.Client.ApiKeys;
using Sigil.Identity;

namespace Sigil.Client.Tests.AspNetCore.Authentication.Hmac;

/// <summary>AddSigilHmac behind UseSigilMtls: signatures over method, target, timestamp and body; replays, stale and altered requests refused.</summary>
public sealed class SigilHmacTests : IAsyncLifetime
{
    private static readonly string Endpoint = "/" + SigilAuthenticationDefaults.HmacScheme;

    private readonly SigilWorld _world = new();
    private readonly VerifierEntry _key = VerifierEntry.Hmac(SigilWorld.Payments);
    private readonly VerifierEntry _retired = VerifierEntry.Hmac(SigilWorld.Payments, DateTimeOffset.UtcNow.AddSeconds(-1));
    private readonly VerifierEntry _bearer = VerifierEntry.Bearer(SigilWorld.Frontend);
    private SigilTestServer _server = null!;
    private HttpClient _client = null!;

    public async ValueTask InitializeAsync()
    {
        var verifiers = _world.Own(new VerifierKeysSource(_world.WriteVerifiers("orders-verifiers", [_key, _retired, _bearer]), SigilWorld.FastPolling));
        _server = await SigilTestServer.StartAsync(_world.WriteSvidFolder("orders-svid", SigilWorld.Issue(_world.Ca, SigilWorld.Orders)),
            SpiffeIdAuthorizer.Any(), auth => auth.AddSigilHmac(o =>
            {
                o.Verifiers = verifiers;
                o.MaxBodySize = 64 * 1024;
            }));
        _client = SigilTestServer.Client(SigilWorld.Issue(_world.Ca, SigilWorld.Frontend), _world.Ca.TrustBundlePem);
    }

    public async ValueTask DisposeAsync()
    {
        _client.Dispose();
        await _server.DisposeAsync();
        _world.Dispose();
    }

    private static long Now => DateTimeOffset.UtcNow.ToUnixTimeSeconds();

    /// <summary>What the caller signs and what it sends; they differ where the attacker changed something.</summary>
    private sealed record Signed(string SignedMethod, string SignedTarget, long Timestamp, byte[] SignedBody, string SentTarget, byte[] SentBody, string? KeyId = null, string? Secret = null);

    public static TheoryData<string, string> Refused => new()
    {
        { "a stale timestamp, six minutes old", "stale" },
        { "a timestamp six minutes in the future", "future" },
        { "a signature over a different body", "body" },
        { "a signature over a different path", "path" },
        { "a signature over a different query", "query" },
        { "a signature made for GET sent with POST", "method" },
        { "a key id that keys.json does not hold", "unknown-key" },
        { "a retired key whose notAfter has passed", "retired" },
        { "a Bearer key's id with its api-key as the HMAC secret", "bearer-key" },
        { "a signature with a wrong secret", "wrong-secret" },
        { "a body larger than MaxBodySize", "too-large" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Is_refused(string because, string kind)
    {
        var body = "{\"order\":42}"u8.ToArray();
        var signed = kind switch
        {
            "stale" => new Signed("POST", Endpoint, Now - 360, body, Endpoint, body),
            "future" => new Signed("POST", Endpoint, Now + 360, body, Endpoint, body),
            "body" => new Signed("POST", Endpoint, Now, body, Endpoint, "{\"order\":43}"u8.ToArray()),
            "path" => new Signed("POST", "/elsewhere", Now, body, Endpoint, body),
            "query" => new Signed("POST", Endpoint + "?amount=1", Now, body, Endpoint + "?amount=1000", body),
            "method" => new Signed("GET", Endpoint, Now, body, Endpoint, body),
            "unknown-key" => new Signed("POST", Endpoint, Now, body, Endpoint, body, KeyId: "0123456789"),
            "retired" => new Signed("POST", Endpoint, Now, body, Endpoint, body, _retired.KeyId, _retired.HmacSecret),
            "bearer-key" => new Signed("POST", Endpoint, Now, body, Endpoint, body, _bearer.KeyId, _bearer.Key),
            "wrong-secret" => new Signed("POST", Endpoint, Now, body, Endpoint, body, Secret: VerifierEntry.Hmac(SigilWorld.Payments).HmacSecret),
            "too-large" => new Signed("POST", Endpoint, Now, new byte[65 * 1024], Endpoint, new byte[65 * 1024]),
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var response = await SendAsync(signed);

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, because);
        Assert.DoesNotContain(_key.HmacSecret!, _server.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_replayed_signature_is_refused_the_second_time()
    {
        var signed = new Signed("POST", Endpoint, Now, "{}"u8.ToArray(), Endpoint, "{}"u8.ToArray());

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(signed)).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(signed)).StatusCode);
        Assert.Contains(_server.Logs.Lines, l => l.Contains($"key {_key.KeyId}: this signature was already used", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_same_signed_request_sent_many_times_at_once_is_accepted_exactly_once()
    {
        var signed = new Signed("POST", Endpoint, Now, "{\"pay\":1}"u8.ToArray(), Endpoint, "{\"pay\":1}"u8.ToArray());

        var answers = await Task.WhenAll(Enumerable.Range(0, 16).Select(_ => SendAsync(signed)));

        Assert.Single(answers, a => a.StatusCode == HttpStatusCode.OK);
        Assert.Equal(15, answers.Count(a => a.StatusCode == HttpStatusCode.Unauthorized));
    }

    [Fact]
    public async Task Curl_sending_a_request_signed_by_Nodes_crypto_from_the_documented_scheme_is_accepted_once()
    {
        var target = Endpoint + "?order=42&note=a%20b";
        var body = "{\"amount\":100}";
        var timestamp = Now;
        var signature = await NodeSignAsync("POST", target, timestamp, body, nonce: null);
        var header = Curl.HeaderFile(_world, $"Authorization: Sigil-HMAC-SHA256 keyId={_key.KeyId}, timestamp={timestamp}, signature={signature}");
        var bodyFile = _world.PathOf("body.json");
        await File.WriteAllTextAsync(bodyFile, body);
        var frontend = _world.WritePemFiles("frontend", SigilWorld.Issue(_world.Ca, SigilWorld.Frontend));

        var first = await Curl.GetAsync(_server, target, frontend.CaCert, (frontend.Cert, frontend.Key), header, bodyFile);
        var replay = await Curl.GetAsync(_server, target, frontend.CaCert, (frontend.Cert, frontend.Key), header, bodyFile);

        Assert.True(first.ExitCode == 0, first.Error);
        Assert.Equal((200, $"{SigilWorld.Payments} {body.Length}"), (first.Status, first.Body));
        Assert.Equal(401, replay.Status);
    }

    [Fact]
    public async Task Two_identical_requests_signed_by_Nodes_crypto_in_the_same_second_with_their_own_nonces_are_both_accepted()
    {
        var timestamp = Now;
        var frontend = _world.WritePemFiles("frontend", SigilWorld.Issue(_world.Ca, SigilWorld.Frontend));
        var statuses = new List<int>();
        foreach (var nonce in new[] { "n-1", "n-2" })
        {
            var signature = await NodeSignAsync("GET", Endpoint, timestamp, "", nonce);
            var header = Curl.HeaderFile(_world, $"Authorization: Sigil-HMAC-SHA256 keyId={_key.KeyId}, timestamp={timestamp}, nonce={nonce}, signature={signature}");
            statuses.Add((await Curl.GetAsync(_server, Endpoint, frontend.CaCert, (frontend.Cert, frontend.Key), header)).Status);
        }
        var replayed = Curl.HeaderFile(_world, $"Authorization: Sigil-HMAC-SHA256 keyId={_key.KeyId}, timestamp={timestamp}, nonce=n-2, signature={await NodeSignAsync("GET", Endpoint, timestamp, "", "n-2")}");
        statuses.Add((await Curl.GetAsync(_server, Endpoint, frontend.CaCert, (frontend.Cert, frontend.Key), replayed)).Status);

        Assert.Equal([200, 200, 401], statuses);
    }

    /// <summary>The signature as the README describes it, computed by Node's crypto, not by Sigil's HmacSignature.</summary>
    private async Task<string> NodeSignAsync(string method, string target, long timestamp, string body, string? nonce)
    {
        var node = await Sigil.Tests.Support.ProcessRunner.RunAsync("node", ["-e", """
            const c = require('crypto');
            const [method, target, ts, nonce] = process.argv.slice(1);
            const body = require('fs').readFileSync(0);
            const lines = [method, target, ts, ...(nonce ? [nonce] : []), c.createHash('sha256').update(body).digest('hex')];
            process.stdout.write(c.createHmac('sha256', Buffer.from(process.env.HMAC_SECRET, 'utf8')).update(lines.join('\n')).digest('base64url'));
            """, method, target, timestamp.ToString(System.Globalization.CultureInfo.InvariantCulture), nonce ?? ""],
            stdin: body, environment: new Dictionary<string, string> { ["HMAC_SECRET"] = _key.HmacSecret! });
        Assert.True(node.ExitCode == 0, node.Stderr);
        return node.Stdout.Trim();
    }

    [Fact]
    public async Task A_header_that_is_not_well_formed_is_refused()
    {
        using var request = new HttpRequestMessage(HttpMethod.Get, _server.Url(Endpoint));
        request.Headers.TryAddWithoutValidation("Authorization", $"{HmacSignature.Scheme} keyId={_key.KeyId}, keyId={_key.KeyId}, timestamp={Now}, signature=x");

        Assert.Equal(HttpStatusCode.Unauthorized, (await _client.SendAsync(request)).StatusCode);
    }

    [Fact]
    public async Task A_signed_POST_authenticates_the_caller_and_the_endpoint_still_reads_the_whole_body()
    {
        var body = Encoding.UTF8.GetBytes(new string('x', 40_000));

        var response = await SendAsync(new Signed("POST", Endpoint, Now, body, Endpoint, body));

        Assert.Equal(HttpStatusCode.OK, response.StatusCode);
        Assert.Equal($"{SigilWorld.Payments} {body.Length}", await response.Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task The_signature_covers_the_target_exactly_as_sent_escapes_included()
    {
        var target = Endpoint + "?q=a%20b&tag=%E2%9C%93";

        Assert.Equal(HttpStatusCode.OK, (await SendAsync(new Signed("GET", target, Now, [], target, []))).StatusCode);
        Assert.Equal(HttpStatusCode.Unauthorized, (await SendAsync(new Signed("GET", Endpoint + "?q=a b&tag=✓", Now, [], target, []))).StatusCode);
    }

    [Fact]
    public void The_replay_cache_never_holds_more_than_its_capacity_and_refuses_rather_than_forgets_a_signature_inside_the_window()
    {
        var cache = new HmacReplayCache(2, perKey: 2);

        Assert.Equal(HmacReplayCache.Outcome.First, cache.TryUse("k", "a", forgetAfter: 100, now: 50));
        Assert.Equal(HmacReplayCache.Outcome.First, cache.TryUse("k", "b", forgetAfter: 100, now: 50));
        Assert.Equal(HmacReplayCache.Outcome.Full, cache.TryUse("k", "c", forgetAfter: 100, now: 50));
        Assert.Equal(HmacReplayCache.Outcome.Replayed, cache.TryUse("k", "a", forgetAfter: 100, now: 50));
        Assert.Equal(HmacReplayCache.Outcome.First, cache.TryUse("k", "c", forgetAfter: 200, now: 101));
        Assert.Equal(HmacReplayCache.Outcome.Replayed, cache.TryUse("k", "c", forgetAfter: 200, now: 101));
        Assert.True(cache.Count <= 2);
    }

    [Fact]
    public void One_key_that_fills_its_share_of_the_replay_cache_is_refused_while_other_keys_are_still_accepted()
    {
        var cache = new HmacReplayCache(100, perKey: 2);

        Assert.Equal(HmacReplayCache.Outcome.First, cache.TryUse("attacker", "a", forgetAfter: 100, now: 50));
        Assert.Equal(HmacReplayCache.Outcome.First, cache.TryUse("attacker", "b", forgetAfter: 100, now: 50));
        Assert.Equal(HmacReplayCache.Outcome.Full, cache.TryUse("attacker", "c", forgetAfter: 100, now: 50));
        Assert.Equal(HmacReplayCache.Outcome.First, cache.TryUse("victim", "a", forgetAfter: 100, now: 50));
        Assert.Equal(HmacReplayCache.Outcome.Replayed, cache.TryUse("attacker", "a", forgetAfter: 100, now: 50));
        Assert.Equal(HmacReplayCache.Outcome.First, cache.TryUse("attacker", "c", forgetAfter: 200, now: 101));
    }

    private async Task<HttpResponseMessage> SendAsync(Signed signed)
    {
        var signature = HmacSignature.Sign(signed.Secret ?? _key.HmacSecret!, signed.SignedMethod, signed.SignedTarget, signed.Timestamp, HmacSignature.BodyHash(signed.SignedBody));
        var method = signed.SignedMethod == "GET" && signed.SentBody.Length == 0 ? HttpMethod.Get : HttpMethod.Post;
        // The target is put on the request line as is: Uri would re-escape what the test means to send raw.
        using var request = new HttpRequestMessage(method, new Uri(_server.Url("/").ToString().TrimEnd('/') + signed.SentTarget, new UriCreationOptions { DangerousDisablePathAndQueryCanonicalization = true }));
        if (method == HttpMethod.Post)
        {
            request.Content = new ByteArrayContent(signed.SentBody);
        }
        request.Headers.TryAddWithoutValidation("Authorization", HmacSignature.FormatHeader(new HmacAuthorization(signed.KeyId ?? _key.KeyId, signed.Timestamp, signature)));
        return await _client.SendAsync(request);
    }
}
