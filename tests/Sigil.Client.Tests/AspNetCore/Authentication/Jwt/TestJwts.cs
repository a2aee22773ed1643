using System.Buffers.Text;
using System.Text;
using System.Text.Json;
using Sigil.Identity;

namespace Sigil.Client.Tests.AspNetCore.Authentication.Jwt;

/// <summary>JWTs signed as the operator signs them (its JwtSigningKey and CompactJws), and the ones an attacker would send.</summary>
internal static class TestJwts
{
    public const string Issuer = "https://sigil.sigil-system.svc:8443";

    /// <summary>A token as Sigil writes it: header alg, kid, typ; claims sub, aud, iss, iat, exp and whatever <paramref name="more"/> adds.</summary>
    public static string Sign(JwtSigningKey key, string typ, string sub, string aud, string issuer = Issuer, TimeSpan? expiresIn = null, Action<Utf8JsonWriter>? more = null)
    {
        var now = DateTimeOffset.UtcNow;
        return CompactJws.Sign(key, typ, w =>
        {
            w.WriteString("sub", sub);
            w.WriteString("aud", aud);
            w.WriteString("iss", issuer);
            w.WriteNumber("iat", now.ToUnixTimeSeconds());
            w.WriteNumber("exp", (now + (expiresIn ?? TimeSpan.FromMinutes(15))).ToUnixTimeSeconds());
            more?.Invoke(w);
        });
    }

    /// <summary>An access token as the token endpoint writes it (RFC 9068), optionally with scope and cnf.</summary>
    public static string AccessToken(JwtSigningKey key, string sub, string aud, string? scope = null, string? certificateThumbprint = null, string? cnfJson = null) =>
        Sign(key, "at+jwt", sub, aud, more: w =>
        {
            w.WriteString("client_id", sub);
            if (scope is not null)
            {
                w.WriteString("scope", scope);
            }
            w.WriteString("jti", Guid.NewGuid().ToString("N"));
            if (certificateThumbprint is not null)
            {
                w.WriteStartObject("cnf");
                w.WriteString("x5t#S256", certificateThumbprint);
                w.WriteEndObject();
            }
            else if (cnfJson is not null)
            {
                w.WritePropertyName("cnf");
                w.WriteRawValue(cnfJson);
            }
        });

    /// <summary>A token with a header of the attacker's choosing, signed with <paramref name="key"/> (or unsigned when null).</summary>
    public static string WithHeader(string headerJson, string payloadJson, JwtSigningKey? key)
    {
        var input = Base64Url.EncodeToString(Encoding.UTF8.GetBytes(headerJson)) + "." + Base64Url.EncodeToString(Encoding.UTF8.GetBytes(payloadJson));
        return input + "." + (key is null ? "" : Base64Url.EncodeToString(key.Sign(Encoding.ASCII.GetBytes(input))));
    }

    public static string Payload(string sub, string aud, string issuer = Issuer)
    {
        var now = DateTimeOffset.UtcNow.ToUnixTimeSeconds();
        return JsonSerializer.Serialize(new Dictionary<string, object> { ["sub"] = sub, ["aud"] = aud, ["iss"] = issuer, ["iat"] = now, ["exp"] = now + 900 });
    }

    /// <summary>RFC 8705 3.1: base64url SHA-256 of the certificate's DER.</summary>
    public static string Thumbprint(IssuedSvid svid)
    {
        using var leaf = ClientCertificates.Leaf(svid);
        return Base64Url.EncodeToString(System.Security.Cryptography.SHA256.HashData(leaf.RawData));
    }
}
