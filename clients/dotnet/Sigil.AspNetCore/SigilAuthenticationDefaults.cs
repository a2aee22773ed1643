namespace Sigil.AspNetCore;

/// <summary>The scheme names the <c>AddSigil…</c> methods register by default, and the claims they set.</summary>
public static class SigilAuthenticationDefaults
{
    /// <summary>The mTLS peer's X.509-SVID (<c>AddSigilClientCertificate</c>).</summary>
    public const string ClientCertificateScheme = "SigilClientCertificate";

    /// <summary>A Sigil API key, <c>Authorization: Bearer sgl_…</c> (<c>AddSigilApiKey</c>).</summary>
    public const string ApiKeyScheme = "SigilApiKey";

    /// <summary>A Sigil HMAC request signature, <c>Authorization: Sigil-HMAC-SHA256 …</c> (<c>AddSigilHmac</c>).</summary>
    public const string HmacScheme = "SigilHmac";

    /// <summary>A JWT-SVID (<c>typ: JWT</c>) as a Bearer token (<c>AddSigilJwtSvid</c>).</summary>
    public const string JwtSvidScheme = "SigilJwtSvid";

    /// <summary>An RFC 9068 access token from Sigil's token endpoint (<c>typ: at+jwt</c>) as a Bearer token (<c>AddSigilAccessToken</c>).</summary>
    public const string AccessTokenScheme = "SigilAccessToken";

    /// <summary>The claim holding the caller's SPIFFE ID (also the name claim, <see cref="System.Security.Claims.ClaimTypes.Name"/>).</summary>
    public const string SpiffeIdClaim = "spiffe_id";

    /// <summary>The claim holding the id of the API key or HMAC key the caller used (never the key).</summary>
    public const string KeyIdClaim = "sigil_key_id";

    /// <summary>An OAuth 2.0 scope granted to the caller, one claim per scope (access tokens only).</summary>
    public const string ScopeClaim = "scope";
}
