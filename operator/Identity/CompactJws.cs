using System.Buffers;
using System.Buffers.Text;
using System.Text.Json;

namespace Sigil.Identity;

/// <summary>
/// Writes a JWT as a compact JWS (RFC 7515 7.1): header <c>alg</c>, <c>kid</c>, <c>typ</c>, then exactly the claims the
/// caller writes. Written by hand rather than with Microsoft.IdentityModel's handler: the SPIFFE JWT-SVID and RFC 9068
/// fix the claim set member by member (that handler adds <c>nbf</c> and defaults unless told not to at each call), the
/// token endpoint signs thousands of these a second, and the tests check every token with jose and
/// Microsoft.IdentityModel, consumers we did not write.
/// </summary>
internal static class CompactJws
{
    // JSON for machines, not for an HTML page: "at+jwt" stays "at+jwt" rather than "at\u002Bjwt", as every JOSE library writes it.
    private static readonly JsonWriterOptions Options = new() { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping };

    // The header depends only on the key and typ: encoded once per pair (a handful: the keys published at one time).
    private static readonly System.Collections.Concurrent.ConcurrentDictionary<(string Kid, string Alg, string Typ), byte[]> Headers = new();

    // One payload buffer and writer per thread, reset at each use: the token endpoint signs thousands a second.
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;
    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    /// <param name="typ">The JWS <c>typ</c>: <c>JWT</c> for JWT-SVIDs, <c>at+jwt</c> for access tokens (RFC 9068).</param>
    /// <param name="claims">Writes the payload's members into an open JSON object.</param>
    public static string Sign(JwtSigningKey key, string typ, Action<Utf8JsonWriter> claims)
    {
        var header = Headers.GetOrAdd((key.KeyId, key.Algorithm, typ), k => Base64Url.EncodeToUtf8(Json(w =>
        {
            w.WriteString("alg", k.Alg);
            w.WriteString("kid", k.Kid);
            w.WriteString("typ", k.Typ);
        })));
        var buffer = t_buffer ??= new ArrayBufferWriter<byte>(512);
        buffer.ResetWrittenCount();
        var w = t_writer ??= new Utf8JsonWriter(buffer, Options);
        w.Reset(buffer);
        w.WriteStartObject();
        claims(w);
        w.WriteEndObject();
        w.Flush();
        var payload = buffer.WrittenSpan;
        var payloadLength = Base64Url.GetEncodedLength(payload.Length);
        var input = ArrayPool<byte>.Shared.Rent(header.Length + 1 + payloadLength);
        try
        {
            header.CopyTo(input, 0);
            input[header.Length] = (byte)'.';
            Base64Url.EncodeToUtf8(payload, input.AsSpan(header.Length + 1));
            var signingInput = input.AsSpan(0, header.Length + 1 + payloadLength);
            var signature = key.Sign(signingInput);
            return string.Create(signingInput.Length + 1 + Base64Url.GetEncodedLength(signature.Length), (input, signingInput.Length, signature), static (chars, state) =>
            {
                var (bytes, length, sig) = state;
                System.Text.Encoding.ASCII.GetChars(bytes.AsSpan(0, length), chars);
                chars[length] = '.';
                Base64Url.EncodeToChars(sig, chars[(length + 1)..]);
            });
        }
        finally
        {
            ArrayPool<byte>.Shared.Return(input);
        }
    }

    private static byte[] Json(Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer, Options))
        {
            w.WriteStartObject();
            members(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
