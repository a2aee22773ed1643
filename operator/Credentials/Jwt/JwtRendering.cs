using k8s.Models;
using Sigil.Api;
using Sigil.Identity;

namespace Sigil.Credentials.Jwt;

/// <summary>What the JWT-SVIDs become (pure): each token, their Secret, their part of status and of the Ready message.</summary>
internal static class JwtRendering
{
    public const string Typ = "JWT";

    /// <summary>
    /// A JWT-SVID as the SPIFFE JWT-SVID spec allows it: header alg, kid, typ JWT; claims exactly sub, one aud, iss, iat,
    /// exp. Nothing else (no nbf, jti, scope, client_id or cnf): receivers tell it from an access token by typ.
    /// </summary>
    public static string Token(JwtSigningKey key, string subject, string aud, string issuer, DateTimeOffset issuedAt, DateTimeOffset expiresAt) =>
        CompactJws.Sign(key, Typ, w =>
        {
            w.WriteString("sub", subject);
            w.WriteString("aud", aud);
            w.WriteString("iss", issuer);
            w.WriteNumber("iat", issuedAt.ToUnixTimeSeconds());
            w.WriteNumber("exp", expiresAt.ToUnixTimeSeconds());
        });

    /// <param name="tokens">Data key (&lt;audience name&gt;.jwt) to token.</param>
    /// <param name="rotationRequest">The sigil.dev/rotate value the tokens were renewed for, kept so one value rotates once.</param>
    public static V1Secret Secret(ServiceIdentity identity, DesiredJwt desired, SpiffeId spiffeId, IReadOnlyDictionary<string, byte[]> tokens, string? rotationRequest)
    {
        var annotations = new Dictionary<string, string> { [Labels.SpiffeIdAnnotation] = spiffeId.ToString() };
        ManagedSecrets.AddIfSet(annotations, Labels.RotationRequestAnnotation, rotationRequest);
        return ManagedSecrets.ManagedSecret(identity, desired.SecretName, "Opaque", annotations, new Dictionary<string, byte[]>(tokens, StringComparer.Ordinal));
    }

    /// <summary>status.jwt for the tokens the Secret holds, in spec order, with the time the next one renews.</summary>
    public static JwtStatus Status(DesiredJwt desired, IReadOnlyDictionary<string, StoredToken> tokens, double jitter)
    {
        var held = desired.Audiences.Where(a => tokens.ContainsKey(a.DataKey)).Select(a => (a.Name, Token: tokens[a.DataKey])).ToList();
        return new JwtStatus
        {
            SecretName = desired.SecretName,
            KeyId = held.Count == 0 ? null : held.MaxBy(h => h.Token.IssuedAt).Token.KeyId,
            Audiences = held.Count == 0 ? null : [.. held.Select(h => new JwtAudienceStatus { Name = h.Name, ExpiresAt = h.Token.ExpiresAt })],
            NextRotationTime = held.Count == 0 ? null : held.Min(h => JwtRenewalPolicy.RenewalTime(h.Token, jitter)),
        };
    }

    /// <summary>The JWT-SVIDs' clause of a Ready=True message.</summary>
    public static string ReadyMessage(JwtStatus jwt) => jwt.Audiences is { Count: > 0 } audiences
        ? $"JWT-SVIDs for {string.Join(", ", audiences.Select(a => a.Name))} valid until {audiences.Min(a => a.ExpiresAt):u}"
        : "no JWT-SVID audiences requested";
}
