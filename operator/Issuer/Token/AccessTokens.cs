using System.Security.Cryptography;
using Sigil.Identity;

namespace Sigil.Issuer.Token;

/// <summary>The claims of one access token, decided before signing.</summary>
/// <param name="CertificateThumbprint">RFC 8705 3.1 <c>cnf.x5t#S256</c> for a certificate-bound token; null otherwise.</param>
internal sealed record AccessTokenClaims(
    string Issuer,
    string Subject,
    string Audience,
    IReadOnlyList<string> Scopes,
    DateTimeOffset IssuedAt,
    DateTimeOffset ExpiresAt,
    string JwtId,
    string? CertificateThumbprint = null)
{
    /// <summary>The scope claim and response member: space-separated, or null when nothing was granted (then both are left out).</summary>
    public string? Scope => Scopes.Count == 0 ? null : string.Join(' ', Scopes);
}

/// <summary>
/// Access tokens as RFC 9068 shapes them: header <c>typ: at+jwt</c>, <c>alg</c>, <c>kid</c>; claims iss, sub, aud,
/// client_id (the same as sub: the client acts for itself), scope (when any), iat, exp, jti, and cnf only when bound.
/// </summary>
internal static class AccessTokens
{
    public const string Type = "at+jwt";

    public static string Sign(JwtSigningKey key, AccessTokenClaims claims) =>
        CompactJws.Sign(key, Type, w =>
        {
            w.WriteString("iss", claims.Issuer);
            w.WriteString("sub", claims.Subject);
            w.WriteString("aud", claims.Audience);
            w.WriteString("client_id", claims.Subject);
            if (claims.Scope is { } scope)
            {
                w.WriteString("scope", scope);
            }
            w.WriteNumber("iat", claims.IssuedAt.ToUnixTimeSeconds());
            w.WriteNumber("exp", claims.ExpiresAt.ToUnixTimeSeconds());
            w.WriteString("jti", claims.JwtId);
            if (claims.CertificateThumbprint is { } thumbprint)
            {
                w.WriteStartObject("cnf");
                w.WriteString("x5t#S256", thumbprint);
                w.WriteEndObject();
            }
        });

    /// <summary>128 bits from the CSPRNG, base64url: unguessable and unique across replicas without coordination.</summary>
    public static string NewJwtId() => System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(16));

    /// <summary>RFC 8705 3.1: base64url(SHA-256(DER of the client certificate)).</summary>
    public static string CertificateThumbprint(System.Security.Cryptography.X509Certificates.X509Certificate2 certificate) =>
        System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(certificate.RawData));
}
