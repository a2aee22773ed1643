using System.Net;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Logging;
using Sigil.Authority;
using Sigil.Issuer.Token.ClientAuthentication;
using Sigil.Observability;

namespace Sigil.Issuer.Token;

/// <summary>
/// POST /oauth2/token (RFC 6749 4.4, client credentials), answered from memory: gather (the form, the caller's
/// credentials, the identities the caches hold), decide (client authentication, <see cref="TokenGrantPolicy"/>), act
/// (sign, count, audit). Every refusal is an RFC 6749 5.2 JSON body with Cache-Control: no-store.
/// </summary>
internal sealed class TokenEndpoint(
    Func<TrustSnapshot> trust,
    Func<string> issuerUrl,
    ITokenClients clients,
    ClientAuthenticators authenticators,
    TokenRateLimits limits,
    TokenLimits settings,
    TimeSpan accessTokenTtl,
    SigilMetrics metrics,
    TimeProvider time,
    ILogger logger)
{
    // Error descriptions quote ':' and '\'' in plain text; the default encoder would write \u0027 for an HTML page's sake.
    private static readonly JsonWriterOptions JsonOptions = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    private static readonly FormOptions Form = new()
    {
        BufferBody = false,
        ValueCountLimit = 32,
        KeyLengthLimit = 64,
    };

    public void Map(IEndpointRouteBuilder routes, string pathPrefix)
    {
        foreach (var prefix in new[] { "", pathPrefix }.Distinct(StringComparer.Ordinal))
        {
            routes.MapPost(prefix + IssuerDocuments.TokenPath, HandleAsync);
        }
    }

    public async Task HandleAsync(HttpContext context)
    {
        var address = context.Connection.RemoteIpAddress ?? IPAddress.None;
        if (limits.AddressBlocked(address) is { } wait)
        {
            await RefuseAsync(context, TokenError.TooManyRequests(wait), address, clientId: null, charge: false);
            return;
        }
        var (form, formError) = await ReadFormAsync(context, settings.MaxBodyBytes);
        if (form is null)
        {
            await RefuseAsync(context, formError!, address, clientId: null);
            return;
        }
        var snapshot = trust();
        var url = issuerUrl();
        var request = new TokenRequestContext(form, context.Request.Headers.Authorization is [{ } authorization] ? authorization : null,
            context.Connection.ClientCertificate, clients, snapshot, url, url + IssuerDocuments.TokenPath, time.GetUtcNow(),
            IssuerServer.ClientCertificateChain(context));
        var auth = authenticators.Authenticate(request);
        if (!auth.Authenticated)
        {
            if (auth.Reason is not null)
            {
                // Named reason, SPIFFE ID and jti only: never the assertion, the certificate or a secret.
                logger.LogInformation("Refused {Method} client authentication from {Address}: {Reason} (client {SpiffeId}, assertion {Jti})",
                    auth.Method, address, auth.Reason, auth.SpiffeId ?? "", auth.Jti ?? "");
            }
            await RefuseAsync(context, auth.Error, address, form["client_id"]);
            return;
        }
        var client = auth.Client;
        if (limits.ClientLimited(client.ClientId) is { } clientWait)
        {
            await RefuseAsync(context, TokenError.TooManyRequests(clientWait), address, client.ClientId, charge: false);
            return;
        }
        var (asked, requestError) = TokenRequest.Read(form);
        if (asked is null)
        {
            await RefuseAsync(context, requestError!, address, client.ClientId);
            return;
        }
        var (grant, grantError) = TokenGrantPolicy.Decide(new TokenGrantInput(client.Identity, client.ClientId, asked,
            clients.Receivers(asked.Target, client.Identity), [.. clients.WithClientId(client.ClientId).Select(c => c.Identity)], clients.TrustDomain));
        if (grant is null)
        {
            await RefuseAsync(context, grantError!, address, client.ClientId);
            return;
        }
        if (snapshot.JwtKeys.Signer is not { } key)
        {
            await RefuseAsync(context, TokenError.Unavailable("no JWT signing key is loaded yet on this replica; retry shortly", TimeSpan.FromSeconds(5)),
                address, client.ClientId, charge: false);
            return;
        }
        var now = request.Now;
        var claims = new AccessTokenClaims(url, client.ClientId, grant.Audience, grant.Scopes, now, now + accessTokenTtl,
            AccessTokens.NewJwtId(), auth.CertificateThumbprint);
        var token = AccessTokens.Sign(key, claims);
        metrics.TokensIssued.WithLabels(auth.Method).Inc();
        logger.LogInformation("Issued access token {Jti} to {ClientId} for {Audience} with scopes {Scopes} by {Method}, expiring {ExpiresAt}",
            claims.JwtId, claims.Subject, claims.Audience, claims.Scope ?? "", auth.Method, claims.ExpiresAt);
        await WriteTokenAsync(context.Response, token, accessTokenTtl, claims.Scope, context.RequestAborted);
    }

    /// <summary>The form, at most <paramref name="limit"/> bytes, or why not (413 for a body over the limit).</summary>
    private static async Task<(TokenForm?, TokenError?)> ReadFormAsync(HttpContext context, int limit)
    {
        var request = context.Request;
        if (request.ContentLength > limit)
        {
            return (null, TokenError.BodyTooLarge(limit));
        }
        if (context.Features.Get<IHttpMaxRequestBodySizeFeature>() is { IsReadOnly: false } size)
        {
            size.MaxRequestBodySize = limit;
        }
        if (!request.HasFormContentType || request.ContentType?.StartsWith("application/x-www-form-urlencoded", StringComparison.OrdinalIgnoreCase) != true)
        {
            return (null, TokenError.InvalidRequest("the body must be application/x-www-form-urlencoded (RFC 6749 4.4.2)"));
        }
        try
        {
            var form = await request.ReadFormAsync(Form, context.RequestAborted);
            return TokenForm.From(form);
        }
        catch (BadHttpRequestException e) when (e.StatusCode == StatusCodes.Status413PayloadTooLarge)
        {
            return (null, TokenError.BodyTooLarge(limit));
        }
        catch (InvalidDataException)
        {
            return (null, TokenError.InvalidRequest("the form has too many or too long parameters"));
        }
    }

    private async Task RefuseAsync(HttpContext context, TokenError error, IPAddress address, string? clientId, bool charge = true)
    {
        if (charge)
        {
            limits.Refused(address);
        }
        metrics.TokenErrors.WithLabels(error.Error).Inc();
        // The client id is no secret (it is the SPIFFE ID); what the client presented as a secret never reaches a log.
        logger.LogDebug("Refused token request from {Address} for client {ClientId}: {Error} ({Description})",
            address, TokenForm.SafeClientId(clientId), error.Error, error.Description);
        await WriteErrorAsync(context.Response, error, context.RequestAborted);
    }

    public static async Task WriteErrorAsync(HttpResponse response, TokenError error, CancellationToken ct)
    {
        response.StatusCode = error.Status;
        NoStore(response);
        if (error.BasicChallenge)
        {
            response.Headers.WWWAuthenticate = "Basic realm=\"sigil\", charset=\"UTF-8\"";
        }
        if (error.RetryAfter is { } after)
        {
            response.Headers.RetryAfter = ((long)Math.Ceiling(Math.Max(1, after.TotalSeconds))).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(response.BodyWriter, JsonOptions);
        w.WriteStartObject();
        w.WriteString("error", error.Error);
        w.WriteString("error_description", error.Description);
        w.WriteEndObject();
        await w.FlushAsync(ct);
    }

    private static async Task WriteTokenAsync(HttpResponse response, string token, TimeSpan ttl, string? scope, CancellationToken ct)
    {
        response.StatusCode = StatusCodes.Status200OK;
        NoStore(response);
        response.ContentType = "application/json";
        await using var w = new Utf8JsonWriter(response.BodyWriter, JsonOptions);
        w.WriteStartObject();
        w.WriteString("access_token", token);
        w.WriteString("token_type", "Bearer");
        w.WriteNumber("expires_in", (long)ttl.TotalSeconds);
        if (scope is not null)
        {
            w.WriteString("scope", scope);
        }
        w.WriteEndObject();
        await w.FlushAsync(ct);
    }

    // RFC 6749 5.1: Cache-Control: no-store and Pragma: no-cache on every answer that carries (or refuses) a token.
    private static void NoStore(HttpResponse response)
    {
        response.Headers.CacheControl = "no-store";
        response.Headers.Pragma = "no-cache";
    }
}
