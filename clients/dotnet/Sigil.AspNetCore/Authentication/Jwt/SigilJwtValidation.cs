using System.Security.Claims;
using System.Security.Cryptography;
using System.Text.Json;
using Microsoft.AspNetCore.Authentication.JwtBearer;
using Microsoft.Extensions.Logging;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;
using Sigil.Client;
using Sigil.Client.Jwt;

namespace Sigil.AspNetCore;

/// <summary>What a Sigil JWT scheme checks beyond the signature, audience, issuer and lifetime that JwtBearer checks.</summary>
internal static class SigilJwtValidation
{
    private static readonly string[] JwtSvidTypes = ["JWT", "JOSE"];
    private static readonly string[] AccessTokenTypes = ["at+jwt", "application/at+jwt"];

    /// <summary>Sigil signs with ES256 or RS256; ES384 is allowed for a platform's own keys. Never none or HMAC.</summary>
    public static readonly string[] Algorithms = [SecurityAlgorithms.EcdsaSha256, SecurityAlgorithms.EcdsaSha384, SecurityAlgorithms.RsaSha256];

    /// <summary>
    /// The JWS <c>typ</c> decides the kind (RFC 8725 3.11): a JWT-SVID is <c>JWT</c> (or <c>JOSE</c>), an access token
    /// <c>at+jwt</c> (RFC 9068 2.1). Compared case-insensitively (RFC 7515 4.1.9). A token without <c>typ</c> is
    /// refused by both: Sigil always writes one, and a token that does not say what it is could be either.
    /// </summary>
    public static TypeValidator TypeValidator(SigilJwtKind kind) => (type, _, _) =>
    {
        var allowed = kind == SigilJwtKind.AccessToken ? AccessTokenTypes : JwtSvidTypes;
        if (type is not null && allowed.Contains(type, StringComparer.OrdinalIgnoreCase))
        {
            return type;
        }
        throw new SecurityTokenInvalidTypeException(
            $"typ is '{type ?? "(none)"}', this scheme accepts {(kind == SigilJwtKind.AccessToken ? "access tokens (typ at+jwt)" : "JWT-SVIDs (typ JWT)")} only")
        { InvalidType = type };
    };

    /// <summary>Checks <c>sub</c>, the authorizer and <c>cnf</c>, and makes the user the caller's SPIFFE ID.</summary>
    public static async Task OnTokenValidatedAsync(TokenValidatedContext context, SigilJwtOptions options, ILogger logger)
    {
        if (context.SecurityToken is not JsonWebToken token)
        {
            context.Fail("the token is not a JWS");
            return;
        }
        if (!SpiffeId.TryParse(token.Subject, out var caller))
        {
            Refuse(context, logger, token, "sub is not a SPIFFE ID");
            return;
        }
        if (!options.Authorizer.IsAuthorized(caller))
        {
            Refuse(context, logger, token, $"{caller} is not allowed here (allowed: {options.Authorizer})");
            return;
        }
        if (token.TryGetPayloadValue<JsonElement>("cnf", out var cnf))
        {
            using var certificate = await TlsPeerCertificate.GetAsync(context.HttpContext, options.TrustForwardedClientCertificate);
            if (CertificateBindingProblem(cnf, certificate) is { } problem)
            {
                Refuse(context, logger, token, problem);
                return;
            }
        }
        var claims = new List<Claim>();
        foreach (var claim in context.Principal?.Claims ?? [])
        {
            // The caller chose the payload: claims named like the ones SigilPrincipal sets (or the scopes added below)
            // would stand next to the real ones, and whoever reads the first or all of a type would be misled.
            if (claim.Type is "sub" or "scope" or "cnf" or SigilAuthenticationDefaults.SpiffeIdClaim or SigilAuthenticationDefaults.KeyIdClaim
                or ClaimTypes.Name or ClaimTypes.Role)
            {
                continue;
            }
            claims.Add(new Claim(claim.Type, claim.Value, claim.ValueType));
        }
        if (options.Kind == SigilJwtKind.AccessToken && token.TryGetPayloadValue<string>("scope", out var scope))
        {
            claims.AddRange(scope.Split(' ', StringSplitOptions.RemoveEmptyEntries).Distinct(StringComparer.Ordinal)
                .Select(s => new Claim(SigilAuthenticationDefaults.ScopeClaim, s)));
        }
        context.Principal = SigilPrincipal.For(caller, context.Scheme.Name, claims);
    }

    /// <summary>
    /// RFC 8705 3: a token with <c>cnf.x5t#S256</c> is valid only over a TLS connection whose client certificate has
    /// that SHA-256 thumbprint. A <c>cnf</c> this library cannot check (no <c>x5t#S256</c>) is refused, not ignored.
    /// </summary>
    internal static string? CertificateBindingProblem(JsonElement cnf, System.Security.Cryptography.X509Certificates.X509Certificate2? certificate)
    {
        if (cnf.ValueKind != JsonValueKind.Object || !cnf.TryGetProperty("x5t#S256", out var bound) || bound.ValueKind != JsonValueKind.String)
        {
            return "the token carries a cnf without x5t#S256, which this service cannot check";
        }
        if (certificate is null)
        {
            return "the token is bound to a client certificate (cnf x5t#S256) and the connection has none";
        }
        var presented = System.Text.Encoding.ASCII.GetBytes(System.Buffers.Text.Base64Url.EncodeToString(SHA256.HashData(certificate.RawData)));
        var expected = System.Text.Encoding.ASCII.GetBytes(bound.GetString()!);
        return CryptographicOperations.FixedTimeEquals(presented, expected)
            ? null
            : "the token is bound to another client certificate than this connection's (cnf x5t#S256)";
    }

    private static void Refuse(TokenValidatedContext context, ILogger logger, JsonWebToken token, string reason)
    {
        logger.LogInformation("Scheme {Scheme} refused a token (kid {KeyId}, sub {Subject}): {Reason}", context.Scheme.Name, token.Kid, token.Subject, reason);
        context.Fail(reason);
    }
}

/// <summary>
/// Keys from a mounted <c>jwks.json</c>, parsed once per version of the folder; a <c>kid</c> not in it makes the
/// folder be read again at once (the kubelet may have updated it since the last poll), at most once per
/// <see cref="MinForcedReloadInterval"/>: any unauthenticated caller can name unknown kids.
/// </summary>
internal sealed class MountedSigningKeys(JwksSource source, TimeProvider time)
{
    /// <summary>A new key is published --bundle-propagation (minutes) before it signs, so a few seconds' delay costs nothing.</summary>
    internal static readonly TimeSpan MinForcedReloadInterval = TimeSpan.FromSeconds(5);

    private sealed record Parsed(JsonWebKeys Keys, IList<SecurityKey> SigningKeys);

    private Parsed? _parsed;
    private long _nextForcedReload = long.MinValue;

    public IEnumerable<SecurityKey> Resolve(string? kid)
    {
        var keys = Current();
        if (kid is not null && !keys.Keys.Contains(kid) && TakeForcedReload())
        {
            source.Reload();
            keys = Current();
        }
        return kid is null ? keys.SigningKeys : keys.SigningKeys.Where(k => k.KeyId == kid);
    }

    private bool TakeForcedReload()
    {
        var now = time.GetUtcNow().UtcTicks;
        var due = Interlocked.Read(ref _nextForcedReload);
        // One caller per interval wins the exchange; the others keep the keys they have.
        return now >= due && Interlocked.CompareExchange(ref _nextForcedReload, now + MinForcedReloadInterval.Ticks, due) == due;
    }

    private Parsed Current()
    {
        var current = source.Current;
        var parsed = Volatile.Read(ref _parsed);
        if (parsed is null || !ReferenceEquals(parsed.Keys, current))
        {
            parsed = new Parsed(current, new JsonWebKeySet(current.Json).GetSigningKeys());
            Volatile.Write(ref _parsed, parsed);
        }
        return parsed;
    }
}
