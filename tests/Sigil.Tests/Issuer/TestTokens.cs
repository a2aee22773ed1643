using Sigil.Identity;

namespace Sigil.Tests.Issuer;

/// <summary>JWT-SVID-shaped tokens a test signs itself with a key from the snapshot (or one the issuer never published).</summary>
internal static class TestTokens
{
    public static string Sign(JwtSigningKey key, string issuer, string audience, string typ = "JWT", string subject = "spiffe://cluster.local/ns/shop/sa/payments")
    {
        var now = DateTimeOffset.UtcNow;
        return CompactJws.Sign(key, typ, w =>
        {
            w.WriteString("sub", subject);
            w.WriteString("aud", audience);
            w.WriteString("iss", issuer);
            w.WriteNumber("iat", now.ToUnixTimeSeconds());
            w.WriteNumber("exp", (now + TimeSpan.FromMinutes(10)).ToUnixTimeSeconds());
        });
    }
}
