using System.Buffers.Text;
using System.Runtime.CompilerServices;
using System.Text.Json;
using k8s.Models;

namespace Sigil.Credentials.Jwt;

/// <summary>What a token in the Secret says of itself (header kid; claims sub, aud, iss, iat, exp). Never the token.</summary>
internal sealed record StoredToken(string KeyId, string Subject, string Audience, string Issuer, DateTimeOffset IssuedAt, DateTimeOffset ExpiresAt);

/// <summary>The JWT-SVID Secret as the gather step reads it.</summary>
/// <param name="Tokens">Every data key, with what its token says, or null when it is not a JWT Sigil could have written.</param>
/// <param name="RotationRequest">The sigil.dev/rotate value the tokens were last renewed for.</param>
internal sealed record StoredJwts(IReadOnlyDictionary<string, StoredToken?> Tokens, string? RotationRequest);

/// <summary>
/// Reads the claims back out of the tokens in a JWT-SVID Secret (gather step): the Secret itself says what it holds, so a
/// wiped status or a restart changes nothing. Signatures are not checked here: Sigil wrote these tokens, and a kid that is
/// no longer published is its own reason to renew. Results are remembered per Secret object, as for certificates.
/// </summary>
internal static class JwtSecretReader
{
    private static readonly ConditionalWeakTable<V1Secret, StoredJwts> Parsed = [];

    public static StoredJwts Read(V1Secret secret) => Parsed.GetValue(secret, ReadUncached);

    private static StoredJwts ReadUncached(V1Secret secret)
    {
        var tokens = (secret.Data ?? new Dictionary<string, byte[]>()).ToDictionary(e => e.Key, e => Parse(e.Value), StringComparer.Ordinal);
        return new StoredJwts(tokens, ManagedSecrets.Annotation(secret, Api.Labels.RotationRequestAnnotation));
    }

    /// <summary>The facts of one compact JWS, or null when it is not one with every claim a JWT-SVID has.</summary>
    public static StoredToken? Parse(byte[] token)
    {
        try
        {
            var text = System.Text.Encoding.ASCII.GetString(token);
            var parts = text.Split('.');
            if (parts.Length != 3 || parts[2].Length == 0)
            {
                return null;
            }
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            using var payload = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            var claims = payload.RootElement;
            // Anyone who may edit the Secret can put any JSON there: an array or a number is not a token, and must not throw.
            if (header.RootElement.ValueKind != JsonValueKind.Object || claims.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            return header.RootElement.TryGetProperty("kid", out var kid) && kid.ValueKind == JsonValueKind.String
                && claims.TryGetProperty("sub", out var sub) && sub.ValueKind == JsonValueKind.String
                && claims.TryGetProperty("aud", out var aud) && aud.ValueKind == JsonValueKind.String
                && claims.TryGetProperty("iss", out var iss) && iss.ValueKind == JsonValueKind.String
                && claims.TryGetProperty("iat", out var iat) && iat.TryGetInt64(out var issuedAt)
                && claims.TryGetProperty("exp", out var exp) && exp.TryGetInt64(out var expiresAt)
                ? new StoredToken(kid.GetString()!, sub.GetString()!, aud.GetString()!, iss.GetString()!,
                    DateTimeOffset.FromUnixTimeSeconds(issuedAt), DateTimeOffset.FromUnixTimeSeconds(expiresAt))
                : null;
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentOutOfRangeException or InvalidOperationException)
        {
            return null;
        }
    }
}
