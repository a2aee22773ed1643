using System.Text.Json.Nodes;
using Microsoft.IdentityModel.JsonWebTokens;
using Microsoft.IdentityModel.Tokens;

namespace Sigil.Tests.Support;

/// <summary>What a verifier Sigil did not write made of one token. Never the token itself.</summary>
internal sealed record VerifiedToken(bool Ok, string? Error, IReadOnlyList<string> HeaderMembers, string? Kid, string? Alg, string? Typ,
    IReadOnlyList<string> Claims, string? Sub, string? Aud, long? Exp, long? Iat);

/// <summary>What jose made of one access token (RFC 9068). Never the token itself.</summary>
internal sealed record VerifiedAccessToken(bool Ok, string? Error, string? Typ, string? Sub, string? Aud, string? ClientId, string? Scope);

/// <summary>
/// JWT-SVIDs checked the way receivers check them, with libraries Sigil did not write: the <c>jose</c> npm package
/// (<c>jwtVerify</c> with <c>createLocalJWKSet</c> over jwks.json, requiring <c>typ: JWT</c>) and Microsoft.IdentityModel
/// (<c>JsonWebTokenHandler.ValidateTokenAsync</c> with the <c>JsonWebKeySet</c> of jwks.json). Tokens go to the verifier on
/// stdin and never into test output.
/// </summary>
internal static class JwtConsumers
{
    private const string JoseVerifier = """
        import * as jose from 'jose';

        let text = '';
        for await (const chunk of process.stdin) text += chunk;
        const input = JSON.parse(text);
        const keys = jose.createLocalJWKSet(JSON.parse(input.jwks));
        const out = [];
        for (const t of input.tokens) {
          try {
            const { payload, protectedHeader } = await jose.jwtVerify(t.token, keys,
              { typ: 'JWT', audience: t.audience, issuer: input.issuer, algorithms: ['ES256', 'RS256'], requiredClaims: ['sub', 'iat', 'exp'] });
            out.push({ ok: true, header: Object.keys(protectedHeader).sort(), kid: protectedHeader.kid, alg: protectedHeader.alg, typ: protectedHeader.typ,
              claims: Object.keys(payload).sort(), sub: payload.sub, aud: payload.aud, exp: payload.exp, iat: payload.iat });
          } catch (e) {
            out.push({ ok: false, error: e.code ?? e.name ?? 'error' });
          }
        }
        process.stdout.write(JSON.stringify(out));
        """;

    /// <summary>jose's verdict on each (token, expected audience), against <paramref name="jwks"/> and <paramref name="issuer"/>.</summary>
    public static async Task<IReadOnlyList<VerifiedToken>> JoseAsync(string jwks, string issuer, params (string Token, string Audience)[] tokens)
    {
        var input = new JsonObject
        {
            ["jwks"] = jwks,
            ["issuer"] = issuer,
            ["tokens"] = new JsonArray([.. tokens.Select(t => (JsonNode)new JsonObject { ["token"] = t.Token, ["audience"] = t.Audience })]),
        }.ToJsonString();
        var run = await NodePackages.RunScriptAsync(NodePackages.Jose, JoseVerifier, input);
        Assert.True(run.ExitCode == 0, $"node exited {run.ExitCode}: {run.Stderr.Trim()}");
        return [.. JsonNode.Parse(run.Stdout)!.AsArray().Select(n => new VerifiedToken(
            (bool)n!["ok"]!, (string?)n["error"], Strings(n["header"]), (string?)n["kid"], (string?)n["alg"], (string?)n["typ"],
            Strings(n["claims"]), (string?)n["sub"], n["aud"] is JsonValue aud ? (string?)aud : n["aud"]?.ToJsonString(), (long?)n["exp"], (long?)n["iat"]))];
    }

    private const string JoseAccessTokenVerifier = """
        import * as jose from 'jose';

        let text = '';
        for await (const chunk of process.stdin) text += chunk;
        const input = JSON.parse(text);
        const keys = jose.createLocalJWKSet(JSON.parse(input.jwks));
        const out = [];
        for (const token of input.tokens) {
          try {
            const { payload, protectedHeader } = await jose.jwtVerify(token, keys,
              { typ: input.typ, audience: input.audience, issuer: input.issuer, algorithms: ['ES256', 'RS256'], requiredClaims: ['sub', 'client_id', 'iat', 'exp', 'jti'] });
            out.push({ ok: true, typ: protectedHeader.typ, sub: payload.sub, aud: payload.aud, client_id: payload.client_id, scope: payload.scope ?? null });
          } catch (e) {
            out.push({ ok: false, error: e.code ?? e.name ?? 'error' });
          }
        }
        process.stdout.write(JSON.stringify(out));
        """;

    /// <summary>jose's verdict on each token as an access token: <paramref name="typ"/> required (at+jwt; JWT to show a receiver of JWT-SVIDs refuses it), aud, iss, client_id, jti.</summary>
    public static async Task<IReadOnlyList<VerifiedAccessToken>> JoseAccessTokensAsync(string jwks, string issuer, string typ, string audience, params string[] tokens)
    {
        var input = new JsonObject
        {
            ["jwks"] = jwks,
            ["issuer"] = issuer,
            ["typ"] = typ,
            ["audience"] = audience,
            ["tokens"] = new JsonArray([.. tokens.Select(t => (JsonNode)JsonValue.Create(t))]),
        }.ToJsonString();
        var run = await NodePackages.RunScriptAsync(NodePackages.Jose, JoseAccessTokenVerifier, input);
        Assert.True(run.ExitCode == 0, $"node exited {run.ExitCode}: {run.Stderr.Trim()}");
        return [.. JsonNode.Parse(run.Stdout)!.AsArray().Select(n => new VerifiedAccessToken((bool)n!["ok"]!, (string?)n["error"], (string?)n["typ"],
            (string?)n["sub"], (string?)n["aud"], (string?)n["client_id"], (string?)n["scope"]))];
    }

    public static async Task<VerifiedAccessToken> JoseAccessTokenAsync(string jwks, string issuer, string token, string audience) =>
        (await JoseAccessTokensAsync(jwks, issuer, "at+jwt", audience, token))[0];

    /// <summary>Microsoft.IdentityModel's verdict on one token: signature by kid from jwks.json, typ JWT, iss, aud and lifetime.</summary>
    public static async Task<VerifiedToken> IdentityModelAsync(string jwks, string issuer, string token, string audience)
    {
        var handler = new JsonWebTokenHandler();
        var result = await handler.ValidateTokenAsync(token, new TokenValidationParameters
        {
            IssuerSigningKeys = new JsonWebKeySet(jwks).GetSigningKeys(),
            ValidIssuer = issuer,
            ValidAudience = audience,
            ValidTypes = ["JWT"],
            RequireSignedTokens = true,
            RequireExpirationTime = true,
            ValidateIssuerSigningKey = true,
            TryAllIssuerSigningKeys = false,
        });
        if (!result.IsValid)
        {
            return new VerifiedToken(false, result.Exception?.GetType().Name ?? "invalid", [], null, null, null, [], null, null, null, null);
        }
        var jwt = (JsonWebToken)result.SecurityToken;
        var header = System.Text.Json.JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedHeader)).RootElement;
        var payload = System.Text.Json.JsonDocument.Parse(Base64UrlEncoder.Decode(jwt.EncodedPayload)).RootElement;
        return new VerifiedToken(true, null, [.. header.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)], jwt.Kid, jwt.Alg, jwt.Typ,
            [.. payload.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal)], jwt.Subject, jwt.Audiences.SingleOrDefault(),
            payload.GetProperty("exp").GetInt64(), payload.GetProperty("iat").GetInt64());
    }

    private static List<string> Strings(JsonNode? node) => node is JsonArray array ? [.. array.Select(n => (string)n!)] : [];
}
