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
    /// <param name="typ">The JWS <c>typ</c>: <c>JWT</c> for JWT-SVIDs, <c>at+jwt</c> for access tokens (RFC 9068).</param>
    /// <param name="claims">Writes the payload's members into an open JSON object.</param>
    public static string Sign(JwtSigningKey key, string typ, Action<Utf8JsonWriter> claims)
    {
        var header = Json(w =>
        {
            w.WriteString("alg", key.Algorithm);
            w.WriteString("kid", key.KeyId);
            w.WriteString("typ", typ);
        });
        var payload = Json(claims);
        var signingInput = $"{Base64Url.EncodeToString(header)}.{Base64Url.EncodeToString(payload)}";
        var signature = key.Sign(System.Text.Encoding.ASCII.GetBytes(signingInput));
        return $"{signingInput}.{Base64Url.EncodeToString(signature)}";
    }

    private static byte[] Json(Action<Utf8JsonWriter> members)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        using (var w = new Utf8JsonWriter(buffer))
        {
            w.WriteStartObject();
            members(w);
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }
}
