using System.Net;
using System.Net.Http.Headers;
using Microsoft.Extensions.Options;
using Sigil.AspNetCore;
using Sigil.Client.ApiKeys;
using Sigil.Client.Tests.Support;
using Sigil.Identity;
using Sigil.Tests.Support;

namespace Sigil.Client.Tests.AspNetCore.Authentication.ApiKeys;

/// <summary>AddSigilApiKey behind UseSigilMtls: Bearer keys checked against a mounted keys.json, refusals first.</summary>
public sealed class SigilApiKeyTests : IAsyncLifetime
{
    private static readonly string Endpoint = "/" + SigilAuthenticationDefaults.ApiKeyScheme;

    private readonly SigilWorld _world = new();
    private readonly VerifierEntry _current = VerifierEntry.Bearer(SigilWorld.Payments);
    private readonly VerifierEntry _inGrace = VerifierEntry.Bearer(SigilWorld.Payments, DateTimeOffset.UtcNow.AddHours(1));
    private readonly VerifierEntry _retired = VerifierEntry.Bearer(SigilWorld.Payments, DateTimeOffset.UtcNow.AddSeconds(-1));
    private readonly VerifierEntry _hmacKey = VerifierEntry.Hmac(SigilWorld.Frontend);
    private VerifierKeysSource _verifiers = null!;
    private SigilTestServer _server = null!;
    private IssuedSvid _client = null!;

    public async ValueTask InitializeAsync()
    {
        _verifiers = _world.Own(new VerifierKeysSource(_world.WriteVerifiers("orders-verifiers", [_current, _inGrace, _retired, _hmacKey]), SigilWorld.FastPolling));
        var serverFolder = _world.WriteSvidFolder("orders-svid", SigilWorld.Issue(_world.Ca, SigilWorld.Orders));
        _server = await SigilTestServer.StartAsync(serverFolder, SpiffeIdAuthorizer.MemberOf(SigilWorld.TrustDomain),
            auth => auth.AddSigilApiKey(o => o.Verifiers = _verifiers));
        _client = SigilWorld.Issue(_world.Ca, SigilWorld.Frontend);
    }

    public async ValueTask DisposeAsync()
    {
        await _server.DisposeAsync();
        _world.Dispose();
    }

    public static TheoryData<string, string> Refused => new()
    {
        { "a key id that keys.json does not hold", "unknown" },
        { "a retired key whose notAfter has passed", "retired" },
        { "a known key id with another secret", "wrong-secret" },
        { "an HMAC key's api-key presented as a Bearer key", "hmac" },
        { "a key with its secret cut short", "truncated" },
        { "a key id in uppercase", "uppercase" },
    };

    [Theory]
    [MemberData(nameof(Refused))]
    public async Task Is_refused(string because, string kind)
    {
        var presented = kind switch
        {
            "unknown" => VerifierEntry.Bearer(SigilWorld.Payments).Key,
            "retired" => _retired.Key,
            "wrong-secret" => $"sgl_{_current.KeyId}_{VerifierEntry.Bearer(SigilWorld.Payments).Key.Split('_', 3)[2]}",
            "hmac" => _hmacKey.Key,
            "truncated" => _current.Key[..^1],
            "uppercase" => $"sgl_{_current.KeyId.ToUpperInvariant()}_{_current.Key.Split('_', 3)[2]}",
            _ => throw new ArgumentOutOfRangeException(nameof(kind)),
        };

        var response = await GetAsync(presented);

        Assert.True(response.StatusCode == HttpStatusCode.Unauthorized, because);
        Assert.DoesNotContain(presented.Split('_', 3)[2], _server.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_retired_key_is_refused_and_the_log_says_why_by_key_id_only()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(_retired.Key)).StatusCode);

        Assert.Contains(_server.Logs.Lines, l => l.Contains($"refused API key {_retired.KeyId}: the key was retired", StringComparison.Ordinal));
        Assert.DoesNotContain(_retired.Key, _server.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_Bearer_token_that_is_not_a_Sigil_key_gets_no_result_rather_than_a_failure_so_a_JWT_scheme_can_take_it()
    {
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync("eyJhbGciOiJFUzI1NiJ9.e30.c2ln")).StatusCode);

        Assert.DoesNotContain(_server.Logs.Lines, l => l.Contains("refused API key", StringComparison.Ordinal));
    }

    [Fact]
    public async Task The_current_key_and_a_key_in_its_grace_period_authenticate_the_caller_named_in_keys_json()
    {
        Assert.Equal(SigilWorld.Payments.ToString(), await (await GetAsync(_current.Key)).Content.ReadAsStringAsync());
        Assert.Equal(SigilWorld.Payments.ToString(), await (await GetAsync(_inGrace.Key)).Content.ReadAsStringAsync());
    }

    [Fact]
    public async Task Curl_over_mTLS_with_a_Bearer_key_gets_200_and_the_callers_SPIFFE_ID()
    {
        var frontend = _world.WritePemFiles("frontend", _client);

        var result = await Curl.GetAsync(_server, Endpoint, frontend.CaCert, (frontend.Cert, frontend.Key),
            Curl.HeaderFile(_world, "Authorization: Bearer " + _current.Key));

        Assert.True(result.ExitCode == 0, result.Error);
        Assert.Equal((200, SigilWorld.Payments.ToString()), (result.Status, result.Body));
    }

    [Fact]
    public async Task A_key_added_to_the_mounted_keys_json_is_accepted_without_a_restart_and_a_removed_one_is_refused()
    {
        var next = VerifierEntry.Bearer(SigilWorld.Payments);
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(next.Key)).StatusCode);

        KubeletStyleFolderWriter.Write(_verifiers.Directory, new Dictionary<string, string>
        {
            ["keys.json"] = System.Text.Json.JsonSerializer.Serialize(new[] { next.Json() }),
        });

        await Eventually.TrueAsync(async () => (await GetAsync(next.Key)).StatusCode == HttpStatusCode.OK, TimeSpan.FromSeconds(20), "the new key was never accepted");
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(_current.Key)).StatusCode);
    }

    [Fact]
    public async Task A_key_in_its_grace_period_stops_working_at_its_notAfter_on_the_schemes_clock()
    {
        var clock = new Microsoft.Extensions.Time.Testing.FakeTimeProvider(DateTimeOffset.UtcNow);
        var graced = VerifierEntry.Bearer(SigilWorld.Payments, clock.GetUtcNow().AddHours(1));
        var verifiers = _world.Own(new VerifierKeysSource(_world.WriteVerifiers("orders-verifiers-clock", [graced])));
        await using var server = await SigilTestServer.StartAsync(_world.WriteSvidFolder("orders-svid-clock", SigilWorld.Issue(_world.Ca, SigilWorld.Orders)),
            SpiffeIdAuthorizer.Any(), auth => auth.AddSigilApiKey(o =>
            {
                o.Verifiers = verifiers;
                o.TimeProvider = clock;
            }));

        Assert.Equal(HttpStatusCode.OK, (await GetAsync(graced.Key, server)).StatusCode);
        clock.Advance(TimeSpan.FromHours(1));
        Assert.Equal(HttpStatusCode.Unauthorized, (await GetAsync(graced.Key, server)).StatusCode);
    }

    [Fact]
    public async Task A_host_whose_API_key_scheme_has_no_verifiers_does_not_start_and_says_what_to_set()
    {
        var folder = _world.WriteSvidFolder("orders-svid-2", SigilWorld.Issue(_world.Ca, SigilWorld.Orders));

        var error = await Assert.ThrowsAsync<OptionsValidationException>(() =>
            SigilTestServer.StartAsync(folder, SpiffeIdAuthorizer.Any(), auth => auth.AddSigilApiKey(_ => { })));

        Assert.Contains("set Verifiers to a VerifierKeysSource", error.Message, StringComparison.Ordinal);
    }

    private async Task<HttpResponseMessage> GetAsync(string presented, SigilTestServer? server = null)
    {
        using var client = SigilTestServer.Client(_client, _world.Ca.TrustBundlePem);
        using var request = new HttpRequestMessage(HttpMethod.Get, (server ?? _server).Url(Endpoint));
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", presented);
        return await client.SendAsync(request);
    }
}
