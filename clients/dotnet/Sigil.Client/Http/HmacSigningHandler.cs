using Sigil.Client.ApiKeys;

namespace Sigil.Client.Http;

/// <summary>
/// Signs every request with the current HMAC secret:
/// <c>Authorization: Sigil-HMAC-SHA256 keyId=…, timestamp=…, signature=…</c> over
/// <c>METHOD\nPATH?QUERY\nTIMESTAMP\nhex(SHA-256(body))</c> (see <see cref="HmacSignature"/>). The body is buffered to be
/// hashed; the path and query are those sent on the wire.
/// </summary>
/// <param name="source">The mounted API-key Secret of an <c>HMACSHA256</c> key.</param>
/// <param name="time">The clock for the timestamp; default the system clock.</param>
public sealed class HmacSigningHandler(ApiKeySource source, TimeProvider? time = null) : DelegatingHandler
{
    private readonly ApiKeySource _source = source ?? throw new ArgumentNullException(nameof(source));
    private readonly TimeProvider _time = time ?? TimeProvider.System;

    /// <inheritdoc/>
    protected override async Task<HttpResponseMessage> SendAsync(HttpRequestMessage request, CancellationToken cancellationToken)
    {
        var key = _source.Current;
        if (key.HmacSecret is null)
        {
            throw new InvalidOperationException(
                $"{_source.Directory} holds {key}, which has no hmac-secret: give the key type: HMACSHA256 in spec.apiKeys to sign requests, or send it with ApiKeyHandler.");
        }
        if (request.RequestUri is not { IsAbsoluteUri: true } uri)
        {
            throw new InvalidOperationException("HmacSigningHandler needs an absolute request URI (set HttpClient.BaseAddress or use an absolute URL).");
        }
        // Buffered once: the bytes hashed are the bytes sent (a stream body could otherwise be read only once).
        var body = request.Content is null ? [] : await request.Content.ReadAsByteArrayAsync(cancellationToken).ConfigureAwait(false);
        var timestamp = _time.GetUtcNow().ToUnixTimeSeconds();
        // A nonce per request: receivers accept each signature once, and two identical requests in one second would
        // otherwise carry the same one.
        var nonce = HmacSignature.NewNonce();
        var signature = HmacSignature.Sign(key.HmacSecret, request.Method.Method, uri.PathAndQuery, timestamp, HmacSignature.BodyHash(body), nonce);
        request.Headers.Remove("Authorization");
        request.Headers.TryAddWithoutValidation("Authorization", HmacSignature.FormatHeader(new HmacAuthorization(key.KeyId, timestamp, signature, nonce)));
        return await base.SendAsync(request, cancellationToken).ConfigureAwait(false);
    }
}
