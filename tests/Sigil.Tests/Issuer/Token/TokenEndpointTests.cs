using System.Net;
using System.Text;
using Sigil.Credentials.OAuth2;
using Sigil.Issuer.Token;
using static Sigil.Tests.Issuer.Token.TokenWorld;

namespace Sigil.Tests.Issuer.Token;

/// <summary>
/// POST /oauth2/token as a client meets it over HTTPS: the token it gets, and every RFC 6749 5.2 refusal reachable with
/// client secrets, with the status, headers and error code a client library acts on.
/// </summary>
public sealed class TokenEndpointTests
{
    // Fixed, not random: theory data may be enumerated in another process than the one that runs the test.
    private const string Current = "current-3f9a1c0e5b7d4e2a8c6f1b3d5e7a9c0b";
    private const string Previous = "previous-7c2e4a6b8d0f1e3a5c7b9d1f3e5a7c9b";
    private const string Expired = "expired-1a3c5e7b9d2f4a6c8e0b2d4f6a8c0e2d";
    private static readonly string PaymentsId = IdOf("payments");

    private static async Task<TokenWorld> ShopAsync(TokenLimits? limits = null, bool signingKey = true)
    {
        var payments = Client("payments");
        var now = DateTimeOffset.UtcNow;
        return await StartAsync(
            [
                payments,
                Receiver("orders", "shop", From("payments", "orders.read", "orders.write")),
                Receiver("inventory", "shop", FromId(PaymentsId)),
                Receiver("ledger", "shop", From("someone-else", "ledger.write")),
                Receiver("orders", "other", From("payments", "orders.read")),
            ],
            [SecretOf(payments,
                ClientSecretVerifiers.Entry("k3", Current),
                ClientSecretVerifiers.Entry("k2", Previous, now.AddHours(1)),
                ClientSecretVerifiers.Entry("k1", Expired, now.AddSeconds(-1)))],
            limits, signingKey);
    }

    private static (string, string)[] Post(string secret, params (string, string)[] rest) =>
        [("grant_type", "client_credentials"), ("client_id", PaymentsId), ("client_secret", secret), .. rest];

    [Fact]
    public async Task A_client_secret_post_request_gets_an_RFC_9068_access_token_with_the_scopes_its_receiver_grants()
    {
        await using var world = await ShopAsync();

        var answer = await world.PostAsync(Post(Current, ("audience", "orders")));

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("no-store", answer.CacheControl);
        Assert.Equal("application/json", answer.ContentType);
        Assert.Equal("Bearer", answer.Body.GetProperty("token_type").GetString());
        Assert.Equal(900, answer.Body.GetProperty("expires_in").GetInt32());
        Assert.Equal("orders.read orders.write", answer.Body.GetProperty("scope").GetString());
        var header = answer.Header();
        Assert.Equal(["alg", "kid", "typ"], header.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal("at+jwt", header.GetProperty("typ").GetString());
        Assert.Equal(world.Key!.KeyId, header.GetProperty("kid").GetString());
        var claims = answer.Claims();
        Assert.Equal(["aud", "client_id", "exp", "iat", "iss", "jti", "scope", "sub"], claims.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal));
        Assert.Equal(world.Issuer.Url, claims.GetProperty("iss").GetString());
        Assert.Equal(PaymentsId, claims.GetProperty("sub").GetString());
        Assert.Equal(PaymentsId, claims.GetProperty("client_id").GetString());
        Assert.Equal(IdOf("orders"), claims.GetProperty("aud").GetString());
        Assert.Equal("orders.read orders.write", claims.GetProperty("scope").GetString());
        Assert.Equal(900, claims.GetProperty("exp").GetInt64() - claims.GetProperty("iat").GetInt64());
        Assert.InRange(claims.GetProperty("iat").GetInt64(), DateTimeOffset.UtcNow.ToUnixTimeSeconds() - 60, DateTimeOffset.UtcNow.ToUnixTimeSeconds() + 1);
        Assert.True(System.Buffers.Text.Base64Url.DecodeFromChars(claims.GetProperty("jti").GetString()!).Length >= 16);
    }

    [Fact]
    public async Task Client_secret_basic_with_the_client_id_form_urlencoded_before_base64_is_accepted()
    {
        await using var world = await ShopAsync();

        var answer = await world.PostAsync([("grant_type", "client_credentials"), ("audience", "orders"), ("scope", "orders.read")], basic: (PaymentsId, Current));

        Assert.Equal(HttpStatusCode.OK, answer.Status);
        Assert.Equal("orders.read", answer.Claims().GetProperty("scope").GetString());
        Assert.Equal("orders.read", answer.Body.GetProperty("scope").GetString());
        Assert.Equal(1, world.Metrics.TokensIssued.WithLabels("client_secret_basic").Value);
    }

    [Fact]
    public async Task Every_token_has_its_own_jti_and_a_receiver_that_lists_no_scopes_gets_a_token_without_scope()
    {
        await using var world = await ShopAsync();

        var first = await world.PostAsync(Post(Current, ("resource", IdOf("inventory"))));
        var second = await world.PostAsync(Post(Current, ("audience", IdOf("inventory"))));

        Assert.Equal(HttpStatusCode.OK, first.Status);
        Assert.Equal(IdOf("inventory"), first.Claims().GetProperty("aud").GetString());
        Assert.False(first.Claims().TryGetProperty("scope", out _));
        Assert.False(first.Body.TryGetProperty("scope", out _));
        Assert.NotEqual(first.Claims().GetProperty("jti").GetString(), second.Claims().GetProperty("jti").GetString());
    }

    [Fact]
    public async Task The_previous_secret_works_during_its_grace_period()
    {
        await using var world = await ShopAsync();

        var answer = await world.PostAsync(Post(Previous, ("audience", "orders")));

        Assert.Equal(HttpStatusCode.OK, answer.Status);
    }

    public static TheoryData<string, (string, string)[], bool, bool, HttpStatusCode, string> Refusals()
    {
        var naive = Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PaymentsId}:{Current}"));
        var data = new TheoryData<string, (string, string)[], bool, bool, HttpStatusCode, string>
        {
            { "a wrong secret is invalid_client", Post("not-the-secret", ("audience", "orders")), false, false, HttpStatusCode.Unauthorized, "invalid_client" },
            { "an unknown client is invalid_client", [("grant_type", "client_credentials"), ("client_id", IdOf("nobody")), ("client_secret", Current), ("audience", "orders")], false, false, HttpStatusCode.Unauthorized, "invalid_client" },
            { "a client id of another namespace with this secret is invalid_client", [("grant_type", "client_credentials"), ("client_id", IdOf("payments", "other")), ("client_secret", Current), ("audience", "orders")], false, false, HttpStatusCode.Unauthorized, "invalid_client" },
            { "the previous secret after its grace period is invalid_client", Post(Expired, ("audience", "orders")), false, false, HttpStatusCode.Unauthorized, "invalid_client" },
            { "a receiver without spec.oauth2 cannot authenticate even with a client's secret", [("grant_type", "client_credentials"), ("client_id", IdOf("orders")), ("client_secret", Current), ("audience", "orders")], false, false, HttpStatusCode.Unauthorized, "invalid_client" },
            { "no client authentication at all is invalid_client", [("grant_type", "client_credentials"), ("client_id", PaymentsId), ("audience", "orders")], false, false, HttpStatusCode.Unauthorized, "invalid_client" },
            { "Basic with a wrong secret is invalid_client with a Basic challenge", [("grant_type", "client_credentials"), ("audience", "orders")], true, true, HttpStatusCode.Unauthorized, "invalid_client" },
            { "Basic and client_secret_post in one request is invalid_request", Post(Current, ("audience", "orders")), true, false, HttpStatusCode.BadRequest, "invalid_request" },
            { "an unknown grant type is unsupported_grant_type", [("grant_type", "password"), ("client_id", PaymentsId), ("client_secret", Current), ("audience", "orders")], false, false, HttpStatusCode.BadRequest, "unsupported_grant_type" },
            { "a missing grant type is invalid_request", [("client_id", PaymentsId), ("client_secret", Current), ("audience", "orders")], false, false, HttpStatusCode.BadRequest, "invalid_request" },
            { "a missing audience is invalid_request", Post(Current), false, false, HttpStatusCode.BadRequest, "invalid_request" },
            { "audience and resource together are invalid_request", Post(Current, ("audience", "orders"), ("resource", IdOf("orders"))), false, false, HttpStatusCode.BadRequest, "invalid_request" },
            { "an audience that is neither a name nor a SPIFFE ID is invalid_request", Post(Current, ("audience", "https://orders.example.com")), false, false, HttpStatusCode.BadRequest, "invalid_request" },
            { "a resource that is not a SPIFFE ID is invalid_request", Post(Current, ("resource", "orders")), false, false, HttpStatusCode.BadRequest, "invalid_request" },
            { "an audience that does not accept the caller is invalid_target", Post(Current, ("audience", "ledger")), false, false, HttpStatusCode.BadRequest, "invalid_target" },
            { "an audience that does not exist is invalid_target", Post(Current, ("audience", "nowhere")), false, false, HttpStatusCode.BadRequest, "invalid_target" },
            { "another trust domain's SPIFFE ID is invalid_target", Post(Current, ("audience", "spiffe://elsewhere.example/ns/shop/sa/orders")), false, false, HttpStatusCode.BadRequest, "invalid_target" },
            { "a scope the receiver does not list is invalid_scope", Post(Current, ("audience", "orders"), ("scope", "orders.admin")), false, false, HttpStatusCode.BadRequest, "invalid_scope" },
            { "a scope from a receiver that lists none is invalid_scope", Post(Current, ("audience", "inventory"), ("scope", "inventory.read")), false, false, HttpStatusCode.BadRequest, "invalid_scope" },
        };
        return data;
    }

    [Theory]
    [MemberData(nameof(Refusals))]
    public async Task Refusals_are_RFC_6749_errors_with_no_store(string because, (string, string)[] form, bool basic, bool basicWrongSecret, HttpStatusCode status, string error)
    {
        await using var world = await ShopAsync();

        var answer = await world.PostAsync(form, basic ? (PaymentsId, basicWrongSecret ? "wrong" : Current) : null);

        Assert.True(status == answer.Status && error == answer.Error, $"{because}: got {(int)answer.Status} {answer.Error} ({answer.Description})");
        Assert.Equal("no-store", answer.CacheControl);
        Assert.Equal("application/json", answer.ContentType);
        Assert.False(string.IsNullOrEmpty(answer.Description));
        // RFC 9110 15.5.2: every 401 carries a challenge; RFC 6749 5.2 names Basic for client_secret_basic.
        Assert.Equal(status == HttpStatusCode.Unauthorized, answer.WwwAuthenticate?.StartsWith("Basic", StringComparison.Ordinal) == true);
        Assert.Equal(1, world.Metrics.TokenErrors.WithLabels(error).Value);
        Assert.DoesNotContain(Current, world.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unknown_client_and_a_wrong_secret_get_the_very_same_answer()
    {
        await using var world = await ShopAsync();

        var unknown = await world.PostAsync([("grant_type", "client_credentials"), ("client_id", IdOf("nobody")), ("client_secret", Current), ("audience", "orders")]);
        var wrong = await world.PostAsync(Post("wrong", ("audience", "orders")));

        Assert.Equal(unknown.Body.GetRawText(), wrong.Body.GetRawText());
    }

    [Fact]
    public async Task Basic_with_a_naive_unencoded_SPIFFE_ID_is_refused_with_a_description_that_says_to_form_urlencode_it()
    {
        await using var world = await ShopAsync();
        using var http = world.Http();
        using var request = new HttpRequestMessage(HttpMethod.Post, "/oauth2/token")
        {
            Content = new FormUrlEncodedContent([KeyValuePair.Create("grant_type", "client_credentials"), KeyValuePair.Create("audience", "orders")]),
        };
        // What curl -u spiffe://...:secret sends: the id's ':' splits it after "spiffe".
        request.Headers.Authorization = new("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes($"{PaymentsId}:{Current}")));

        using var response = await http.SendAsync(request);
        var answer = await Answer.ReadAsync(response);

        Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
        Assert.Equal("invalid_client", answer.Error);
        Assert.StartsWith("Basic", answer.WwwAuthenticate, StringComparison.Ordinal);
        Assert.Contains("form-urlencoded", answer.Description, StringComparison.Ordinal);
        Assert.DoesNotContain(Current, answer.Body.GetRawText(), StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_parameter_given_twice_is_invalid_request()
    {
        await using var world = await ShopAsync();

        var answer = await world.PostAsync(Post(Current, ("audience", "orders"), ("audience", "inventory")));

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("invalid_request", answer.Error);
    }

    [Fact]
    public async Task A_body_that_is_not_a_form_is_invalid_request()
    {
        await using var world = await ShopAsync();
        using var http = world.Http();

        using var response = await http.PostAsync("/oauth2/token", new StringContent($$"""{"grant_type":"client_credentials","client_id":"{{PaymentsId}}"}""", Encoding.UTF8, "application/json"));
        var answer = await Answer.ReadAsync(response);

        Assert.Equal(HttpStatusCode.BadRequest, answer.Status);
        Assert.Equal("invalid_request", answer.Error);
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public async Task An_oversized_body_is_refused_with_413_whether_or_not_it_declares_its_length(bool contentLength)
    {
        await using var world = await ShopAsync();
        using var http = world.Http();
        var form = Encoding.ASCII.GetBytes($"grant_type=client_credentials&audience=orders&padding={new string('a', 17 * 1024)}");
        HttpContent content = contentLength ? new ByteArrayContent(form) : new StreamContent(new ChunkedStream(form));
        content.Headers.ContentType = new("application/x-www-form-urlencoded");

        using var response = await http.PostAsync("/oauth2/token", content);
        var answer = await Answer.ReadAsync(response);

        Assert.Equal(HttpStatusCode.RequestEntityTooLarge, answer.Status);
        Assert.Equal("invalid_request", answer.Error);
        Assert.Equal("no-store", answer.CacheControl);
    }

    [Fact]
    public async Task A_client_over_its_rate_limit_gets_429_with_Retry_After_and_others_are_still_served()
    {
        await using var world = await ShopAsync(new TokenLimits(TokensPerClientPerSecond: 0.1, ClientBurst: 3, RefusalsPerAddressPerSecond: 1e6, RefusalBurst: 1_000_000));

        var answers = new List<Answer>();
        for (var i = 0; i < 4; i++)
        {
            answers.Add(await world.PostAsync(Post(Current, ("audience", "orders"))));
        }

        Assert.All(answers.Take(3), a => Assert.Equal(HttpStatusCode.OK, a.Status));
        var limited = answers[3];
        Assert.Equal((HttpStatusCode)429, limited.Status);
        Assert.True(int.TryParse(limited.RetryAfter, out var seconds) && seconds >= 1, $"Retry-After {limited.RetryAfter}");
        Assert.Equal("no-store", limited.CacheControl);
        Assert.Equal(1, world.Metrics.TokenErrors.WithLabels(TokenError.TooManyRequestsCode).Value);
    }

    [Fact]
    public async Task An_address_that_keeps_failing_authentication_is_turned_away_with_429_before_its_credentials_are_checked()
    {
        await using var world = await ShopAsync(new TokenLimits(TokensPerClientPerSecond: 1e6, ClientBurst: 1_000_000, RefusalsPerAddressPerSecond: 0.1, RefusalBurst: 5));

        for (var i = 0; i < 5; i++)
        {
            Assert.Equal(HttpStatusCode.Unauthorized, (await world.PostAsync(Post("guess-" + i, ("audience", "orders")))).Status);
        }
        var flooded = await world.PostAsync(Post("guess-5", ("audience", "orders")));
        var rightSecret = await world.PostAsync(Post(Current, ("audience", "orders")));

        Assert.Equal((HttpStatusCode)429, flooded.Status);
        Assert.NotNull(flooded.RetryAfter);
        Assert.Equal((HttpStatusCode)429, rightSecret.Status);
    }

    [Fact]
    public async Task Without_a_signing_key_the_endpoint_answers_503_temporarily_unavailable()
    {
        await using var world = await ShopAsync(signingKey: false);

        var answer = await world.PostAsync(Post(Current, ("audience", "orders")));

        Assert.Equal(HttpStatusCode.ServiceUnavailable, answer.Status);
        Assert.Equal("temporarily_unavailable", answer.Error);
        Assert.NotNull(answer.RetryAfter);
    }

    [Fact]
    public async Task Each_issued_token_has_one_audit_line_naming_client_audience_scopes_jti_and_method_and_never_the_token_or_secret()
    {
        await using var world = await ShopAsync();

        var answer = await world.PostAsync(Post(Current, ("audience", "orders"), ("scope", "orders.read")));

        var jti = answer.Claims().GetProperty("jti").GetString()!;
        var audit = Assert.Single(world.Logs.Lines, l => l.Contains(jti, StringComparison.Ordinal));
        Assert.Contains(PaymentsId, audit, StringComparison.Ordinal);
        Assert.Contains(IdOf("orders"), audit, StringComparison.Ordinal);
        Assert.Contains("orders.read", audit, StringComparison.Ordinal);
        Assert.Contains("client_secret_post", audit, StringComparison.Ordinal);
        Assert.DoesNotContain(answer.AccessToken!.Split('.')[2], world.Logs.All, StringComparison.Ordinal);
        Assert.DoesNotContain(Current, world.Logs.All, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_rotated_secret_is_accepted_as_soon_as_the_cache_holds_it_and_the_old_one_until_its_grace_ends()
    {
        await using var world = await ShopAsync();
        var next = NewSecret();
        var payments = world.Identities.Get("shop", "payments")!;

        await world.UpdateSecretAsync(SecretOf(payments,
            ClientSecretVerifiers.Entry("k4", next),
            ClientSecretVerifiers.Entry("k3", Current, DateTimeOffset.UtcNow.AddHours(1))));
        var withNext = await world.PostAsync(Post(next, ("audience", "orders")));
        var withCurrent = await world.PostAsync(Post(Current, ("audience", "orders")));
        var withPrevious = await world.PostAsync(Post(Previous, ("audience", "orders")));

        Assert.Equal(HttpStatusCode.OK, withNext.Status);
        Assert.Equal(HttpStatusCode.OK, withCurrent.Status);
        Assert.Equal(HttpStatusCode.Unauthorized, withPrevious.Status);
    }

    [Fact]
    public async Task A_Secret_made_by_hand_with_a_copied_verifier_annotation_authenticates_no_one()
    {
        var mallory = Client("mallory");
        var forged = SecretOf(mallory, ClientSecretVerifiers.Entry("k1", Current));
        forged.Metadata.OwnerReferences = null;   // Sigil did not write it: no ownerReference to mallory
        await using var world = await StartAsync([mallory, Receiver("orders", "shop", From("mallory"))], [forged]);

        var answer = await world.PostAsync([("grant_type", "client_credentials"), ("client_id", IdOf("mallory")), ("client_secret", Current), ("audience", "orders")]);

        Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
        Assert.Equal("invalid_client", answer.Error);
    }

    [Fact]
    public async Task Removing_spec_oauth2_clientSecret_stops_the_secret_working_at_once()
    {
        var payments = Client("payments");
        payments.Spec.OAuth2 = new Sigil.Api.OAuth2Spec();
        await using var world = await StartAsync([payments, Receiver("orders", "shop", From("payments"))],
            [SecretOf(payments, ClientSecretVerifiers.Entry("k1", Current))]);

        var answer = await world.PostAsync(Post(Current, ("audience", "orders")));

        Assert.Equal(HttpStatusCode.Unauthorized, answer.Status);
    }

    /// <summary>A body of unknown length (chunked), so only the read itself can find it too large.</summary>
    private sealed class ChunkedStream(byte[] data) : MemoryStream(data)
    {
        public override bool CanSeek => false;
    }
}
