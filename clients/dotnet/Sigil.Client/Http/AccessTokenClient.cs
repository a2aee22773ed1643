using System.Net;
using System.Net.Http.Headers;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sigil.Client.OAuth2;
using Sigil.Client.X509;

namespace Sigil.Client.Http;

/// <summary>
/// Obtains client-credentials access tokens for one audience from Sigil's token endpoint (<c>POST /oauth2/token</c>,
/// RFC 6749 4.4) and caches each until 80% of its lifetime: concurrent callers share one request, and a token is never
/// handed out expired. The endpoint is checked like any Sigil server (its SVID against the trust bundle, authorized by
/// SPIFFE ID). Authenticates either with a client secret (<c>client_secret_basic</c>) or with an X.509-SVID
/// (<c>tls_client_auth</c>; the token is then bound to that certificate, so send it over connections presenting the same
/// SVID, e.g. <see cref="SigilHttpHandler"/> with the same <see cref="X509SvidSource"/>).
/// </summary>
public sealed class AccessTokenClient : IDisposable
{
    /// <summary>Tokens with less left than this are not handed out: they could expire on the way.</summary>
    private static readonly TimeSpan ExpiryMargin = TimeSpan.FromSeconds(5);

    /// <summary>After a failed refresh, a still-valid cached token is used for this long before trying again.</summary>
    private static readonly TimeSpan RetryAfterFailure = TimeSpan.FromSeconds(2);

    private readonly HttpClient _http;
    private readonly SemaphoreSlim _singleFlight = new(1, 1);
    private readonly TimeProvider _time;
    private readonly string _audience;
    private readonly string? _scope;
    private readonly Func<HttpRequestMessage> _newRequest;
    private readonly X509SvidSource? _svid;
    private AccessToken? _cached;
    private DateTimeOffset _retryAt;

    /// <summary>A client authenticated by its client secret (<c>client_secret_basic</c>).</summary>
    /// <param name="client">The mounted <c>&lt;name&gt;-oauth2</c> Secret: client id, secret and token endpoint.</param>
    /// <param name="trust">The trust bundle to check the token endpoint against (<c>ca.crt</c> of <c>sigil-trust-bundle</c> or an SVID Secret).</param>
    /// <param name="audience">The receiver: a ServiceIdentity name in the caller's namespace, or a SPIFFE ID.</param>
    /// <param name="options">Scope, endpoint authorizer, clock.</param>
    public AccessTokenClient(OAuth2ClientSource client, TrustBundleSource trust, string audience, AccessTokenClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(client);
        ArgumentNullException.ThrowIfNull(trust);
        options ??= new AccessTokenClientOptions();
        (_time, _audience, _scope) = (options.TimeProvider, RequireAudience(audience), options.Scope);
        var authorizer = options.TokenEndpointAuthorizer ?? SpiffeIdAuthorizer.MemberOf(client.Current.ClientId.TrustDomain);
        _http = new HttpClient(new SocketsHttpHandler
        {
            PooledConnectionLifetime = TimeSpan.FromMinutes(1),
            // The endpoint is of the client's own trust domain, unless the bundle source was given another.
            SslOptions = SvidTls.ClientOptions(() => trust.Current is { TrustDomain: null } bundle ? bundle.ForTrustDomain(client.Current.ClientId.TrustDomain) : trust.Current,
                // Any SVID of the trust domain chains to the bundle and passes MemberOf: the host check keeps one that
                // intercepts the endpoint's traffic from receiving the client secret (the issuer's SVID names its host).
                authorizer, presenting: null, onHandshake: null, requireHostName: true),
        });
        _newRequest = () =>
        {
            var credential = client.Current;
            var request = new HttpRequestMessage(HttpMethod.Post, credential.TokenEndpoint) { Content = Form(null) };
            // RFC 6749 2.3.1: each part is form-urlencoded before base64 (a SPIFFE ID holds ':').
            var basic = FormEncode(credential.ClientId.ToString()) + ":" + FormEncode(credential.ClientSecret);
            request.Headers.Authorization = new AuthenticationHeaderValue("Basic", Convert.ToBase64String(Encoding.UTF8.GetBytes(basic)));
            return request;
        };
    }

    /// <summary>A client authenticated by its X.509-SVID over mutual TLS (<c>tls_client_auth</c>, RFC 8705).</summary>
    /// <param name="svid">The mounted SVID Secret: the certificate presented, and the bundle the endpoint is checked against.</param>
    /// <param name="tokenEndpoint">The token endpoint URL (<c>--issuer-url</c> + <c>/oauth2/token</c>).</param>
    /// <param name="audience">The receiver: a ServiceIdentity name in the caller's namespace, or a SPIFFE ID.</param>
    /// <param name="options">Scope, endpoint authorizer, clock.</param>
    public AccessTokenClient(X509SvidSource svid, Uri tokenEndpoint, string audience, AccessTokenClientOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(svid);
        ArgumentNullException.ThrowIfNull(tokenEndpoint);
        if (!tokenEndpoint.IsAbsoluteUri || tokenEndpoint.Scheme != Uri.UriSchemeHttps)
        {
            throw new ArgumentException("The token endpoint must be an absolute https URL.", nameof(tokenEndpoint));
        }
        options ??= new AccessTokenClientOptions();
        (_time, _audience, _scope, _svid) = (options.TimeProvider, RequireAudience(audience), options.Scope, svid);
        var authorizer = options.TokenEndpointAuthorizer ?? SpiffeIdAuthorizer.MemberOf(svid.Current.Id.TrustDomain);
        // The handler presents the SVID of the moment (with its intermediates) from the first request after a renewal, so a
        // token is never bound to a certificate that was already replaced. No pooling on top: token requests are rare (one
        // per 80% of a token's lifetime), and each connection is then checked against the bundle of the moment.
        _http = new HttpClient(SigilHttpHandler.Create(svid, authorizer, new SigilHttpHandlerOptions { PooledConnectionLifetime = TimeSpan.FromTicks(1) }));
        _newRequest = () => new HttpRequestMessage(HttpMethod.Post, tokenEndpoint) { Content = Form(svid.Current.Id.ToString()) };
    }

    /// <summary>
    /// A token valid for at least a few more seconds: the cached one until 80% of its lifetime, else a new one. While a
    /// refresh fails, a cached token that has not expired is still returned.
    /// </summary>
    /// <exception cref="AccessTokenException">The endpoint refused (e.g. <c>invalid_target</c>: the receiver does not accept us).</exception>
    /// <exception cref="HttpRequestException">The endpoint could not be reached, or its certificate was refused.</exception>
    public async ValueTask<AccessToken> GetTokenAsync(CancellationToken cancellationToken = default)
    {
        if (Fresh(Volatile.Read(ref _cached)) is { } fresh)
        {
            return fresh;
        }
        await _singleFlight.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            var cached = Volatile.Read(ref _cached);
            if (Fresh(cached) is { } another)
            {
                return another; // someone else refreshed while we waited
            }
            var now = _time.GetUtcNow();
            var usable = cached is not null && Usable(cached, now);
            if (usable && now < _retryAt)
            {
                return cached!;
            }
            try
            {
                var token = await RequestAsync(cancellationToken).ConfigureAwait(false);
                Volatile.Write(ref _cached, token);
                return token;
            }
            catch (Exception e) when (usable && e is AccessTokenException or HttpRequestException)
            {
                _retryAt = now + RetryAfterFailure;
                return cached!;
            }
        }
        finally
        {
            _singleFlight.Release();
        }
    }

    /// <summary>Drops <paramref name="token"/> from the cache (a receiver refused it), so the next call fetches a new one.</summary>
    public void Forget(AccessToken token) => Interlocked.CompareExchange(ref _cached, null, token);

    private AccessToken? Fresh(AccessToken? token) =>
        token is not null && _time.GetUtcNow() < token.RefreshAt && Usable(token, _time.GetUtcNow()) ? token : null;

    private bool Usable(AccessToken token, DateTimeOffset now) =>
        now + ExpiryMargin < token.ExpiresAt
        // A token bound to a certificate we no longer present would be refused by every receiver.
        && (token.BoundThumbprint is null || _svid is null || token.BoundThumbprint == Thumbprint(_svid.Current.Certificate.RawData));

    private async Task<AccessToken> RequestAsync(CancellationToken cancellationToken)
    {
        using var request = _newRequest();
        var sent = _time.GetUtcNow();
        using var response = await _http.SendAsync(request, cancellationToken).ConfigureAwait(false);
        var body = await response.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        JsonElement json;
        try
        {
            json = JsonDocument.Parse(body).RootElement;
        }
        catch (JsonException)
        {
            throw new AccessTokenException("invalid_response", $"the answer ({(int)response.StatusCode}) is not JSON", (int)response.StatusCode);
        }
        if (!response.IsSuccessStatusCode)
        {
            var error = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String
                ? e.GetString()! : response.StatusCode == HttpStatusCode.TooManyRequests ? "too_many_requests" : "invalid_response";
            var description = json.ValueKind == JsonValueKind.Object && json.TryGetProperty("error_description", out var d) && d.ValueKind == JsonValueKind.String
                ? d.GetString() : null;
            throw new AccessTokenException(Printable(error), description is null ? null : Printable(description), (int)response.StatusCode);
        }
        if (json.ValueKind != JsonValueKind.Object
            || !json.TryGetProperty("access_token", out var value) || value.ValueKind != JsonValueKind.String
            || !json.TryGetProperty("expires_in", out var expiresIn) || !expiresIn.TryGetInt64(out var seconds) || seconds <= 0
            || (json.TryGetProperty("token_type", out var type) && !string.Equals(type.GetString(), "Bearer", StringComparison.OrdinalIgnoreCase)))
        {
            throw new AccessTokenException("invalid_response", "the answer is not a Bearer access token with expires_in", (int)response.StatusCode);
        }
        var scope = json.TryGetProperty("scope", out var s) && s.ValueKind == JsonValueKind.String ? s.GetString() : null;
        var token = value.GetString()!;
        // Lifetime counted from when we asked: never later than the server's own exp.
        return new AccessToken(token, sent, sent + TimeSpan.FromSeconds(seconds), scope, BoundThumbprintOf(token));
    }

    private FormUrlEncodedContent Form(string? clientId)
    {
        var fields = new List<KeyValuePair<string, string>> { new("grant_type", "client_credentials"), new("audience", _audience) };
        if (_scope is not null)
        {
            fields.Add(new("scope", _scope));
        }
        if (clientId is not null)
        {
            fields.Add(new("client_id", clientId));
        }
        return new FormUrlEncodedContent(fields);
    }

    /// <summary>The <c>cnf.x5t#S256</c> of a JWT access token; null when it has none or is not a JWT we can read.</summary>
    private static string? BoundThumbprintOf(string token)
    {
        var parts = token.Split('.');
        if (parts.Length != 3)
        {
            return null;
        }
        try
        {
            using var payload = JsonDocument.Parse(System.Buffers.Text.Base64Url.DecodeFromChars(parts[1]));
            return payload.RootElement.ValueKind == JsonValueKind.Object
                && payload.RootElement.TryGetProperty("cnf", out var cnf) && cnf.ValueKind == JsonValueKind.Object
                && cnf.TryGetProperty("x5t#S256", out var x5t) && x5t.ValueKind == JsonValueKind.String
                ? x5t.GetString() : null;
        }
        catch (Exception e) when (e is FormatException or JsonException)
        {
            return null;
        }
    }

    private static string Thumbprint(byte[] certificate) => System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(certificate));

    // application/x-www-form-urlencoded, as RFC 6749 Appendix B asks (space as '+').
    private static string FormEncode(string value) => WebUtility.UrlEncode(value);

    private static string RequireAudience(string audience) =>
        !string.IsNullOrWhiteSpace(audience) ? audience : throw new ArgumentException("audience names the receiver (a ServiceIdentity name or a SPIFFE ID).", nameof(audience));

    // Error fields come from the network: keep them to one printable line.
    private static string Printable(string text)
    {
        var printable = new string([.. text.Where(c => c >= ' ' && c != '\u007f')]);
        return printable.Length <= 500 ? printable : printable[..500] + "…";
    }

    /// <summary>Closes the connections to the token endpoint.</summary>
    public void Dispose()
    {
        _http.Dispose();
        _singleFlight.Dispose();
    }
}
