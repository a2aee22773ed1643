using System.Buffers;
using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Encodings.Web;
using Microsoft.AspNetCore.Authentication;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Http.Features;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using Microsoft.Net.Http.Headers;
using Sigil.Client.ApiKeys;

namespace Sigil.AspNetCore;

/// <summary>
/// <c>Authorization: Sigil-HMAC-SHA256 keyId=…, timestamp=…, signature=…</c>: the signature over the method, the
/// request target exactly as received, the timestamp and the body's hash, with a key of <c>keys.json</c>; the
/// timestamp within the replay window, and each signature accepted once.
/// </summary>
internal sealed class SigilHmacHandler(IOptionsMonitor<SigilHmacOptions> options, ILoggerFactory logger, UrlEncoder encoder)
    : AuthenticationHandler<SigilHmacOptions>(options, logger, encoder)
{
    protected override async Task<AuthenticateResult> HandleAuthenticateAsync()
    {
        var header = Request.Headers[HeaderNames.Authorization];
        if (header.Count != 1 || header[0] is not { } value
            || !value.StartsWith(HmacSignature.Scheme + " ", StringComparison.OrdinalIgnoreCase))
        {
            return AuthenticateResult.NoResult();
        }
        if (!HmacSignature.TryParseParameters(value[(HmacSignature.Scheme.Length + 1)..], out var authorization))
        {
            return Refuse(null, "the Sigil-HMAC-SHA256 header is malformed (keyId=…, timestamp=…, signature=…)");
        }
        var now = (Options.TimeProvider ?? TimeProvider.System).GetUtcNow();
        var window = Options.ReplayWindow;
        if (Math.Abs(now.ToUnixTimeSeconds() - authorization.Timestamp) > window.TotalSeconds)
        {
            return Refuse(authorization.KeyId, $"the timestamp is more than {window.TotalSeconds:0} s from this server's clock");
        }
        var keys = Options.Verifiers!.Current;
        // Before the body is read: a caller naming no key of ours must not make us buffer up to MaxBodySize.
        if (!keys.HasHmacKey(authorization.KeyId, now))
        {
            return Refuse(authorization.KeyId, SigilApiKeyHandler.Refusal(keys, authorization.KeyId, now) switch
            {
                "the key does not match" => "the key is not an HMAC key",
                var other => other,
            });
        }
        var bodyHash = await BodyHashAsync();
        if (bodyHash is null)
        {
            return Refuse(authorization.KeyId, $"the body is larger than {Options.MaxBodySize} bytes");
        }
        var verified = keys.VerifyHmac(authorization, Request.Method, RequestTarget(Context), bodyHash, now, window);
        if (verified is null)
        {
            return Refuse(authorization.KeyId, SigilApiKeyHandler.Refusal(keys, authorization.KeyId, now) switch
            {
                "the key does not match" => "the signature does not match this request (method, target, timestamp, body)",
                var other => other,
            });
        }
        // Remembered only once it verified: garbage cannot fill the cache.
        switch (Options.ReplayCache.TryUse(authorization.KeyId, authorization.Signature, authorization.Timestamp + (long)window.TotalSeconds, now.ToUnixTimeSeconds()))
        {
            case HmacReplayCache.Outcome.Replayed:
                return Refuse(authorization.KeyId, "this signature was already used");
            case HmacReplayCache.Outcome.Full:
                Logger.LogWarning("Scheme {Scheme}: the HMAC replay cache is full ({Capacity} signatures inside the window, or {PerKey} for key {KeyId}); refusing its new signed requests until some age out", Scheme.Name, Options.ReplayCacheSize, Options.ReplayCacheSizePerKey, authorization.KeyId);
                return Refuse(authorization.KeyId, "too many signed requests inside the replay window; retry later");
        }
        var principal = SigilPrincipal.For(verified.Caller, Scheme.Name, [new Claim(SigilAuthenticationDefaults.KeyIdClaim, verified.Key.KeyId)]);
        return AuthenticateResult.Success(new AuthenticationTicket(principal, Scheme.Name));
    }

    private AuthenticateResult Refuse(string? keyId, string reason)
    {
        Logger.LogInformation("Scheme {Scheme} refused an HMAC-signed request with key {KeyId}: {Reason}", Scheme.Name, keyId, reason);
        return AuthenticateResult.Fail(reason);
    }

    /// <summary>
    /// The path and query as the client sent them (the raw request target, not a decoded and re-encoded form, which
    /// would differ from what the client signed whenever it escaped a character differently).
    /// </summary>
    internal static string RequestTarget(HttpContext context)
    {
        var raw = context.Features.Get<IHttpRequestFeature>()?.RawTarget;
        if (!string.IsNullOrEmpty(raw))
        {
            if (raw.StartsWith('/'))
            {
                return raw;
            }
            // absolute-form (a proxy's request line): its path and query.
            if (Uri.TryCreate(raw, UriKind.Absolute, out var absolute))
            {
                return absolute.PathAndQuery;
            }
        }
        var request = context.Request;
        return request.PathBase.ToUriComponent() + request.Path.ToUriComponent() + request.QueryString.ToUriComponent();
    }

    /// <summary>The body's SHA-256 (lowercase hex), the body left readable from the start; null when it is too large.</summary>
    private async Task<string?> BodyHashAsync()
    {
        if (Request.ContentLength > Options.MaxBodySize)
        {
            return null;
        }
        Request.EnableBuffering(bufferThreshold: 64 * 1024, bufferLimit: Options.MaxBodySize);
        using var hash = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        var buffer = ArrayPool<byte>.Shared.Rent(16 * 1024);
        try
        {
            long total = 0;
            int read;
            while ((read = await Request.Body.ReadAsync(buffer, Context.RequestAborted)) > 0)
            {
                total += read;
                if (total > Options.MaxBodySize)
                {
                    return null;
                }
                hash.AppendData(buffer, 0, read);
            }
        }
        catch (IOException)
        {
            // EnableBuffering's limit: the body is larger than MaxBodySize.
            return null;
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(buffer);
        }
        Request.Body.Position = 0;
        return Convert.ToHexStringLower(hash.GetHashAndReset());
    }
}
