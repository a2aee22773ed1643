using System.Buffers.Text;
using System.Security.Cryptography.X509Certificates;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Crypto.Signers;
using Org.BouncyCastle.Security;
using Sigil.Identity;

namespace Sigil.Tests.Issuer.Token.ClientAuthentication;

/// <summary>Client assertions written by hand (any header, any claims, any signature), as an attacker could write them.</summary>
internal static class TestAssertions
{
    public const string IssuerUrl = "https://sigil.sigil.svc:8443";
    public const string TokenEndpoint = IssuerUrl + "/oauth2/token";

    public static string AlgorithmFor(KeyAlgorithm key) => key switch
    {
        KeyAlgorithm.ECDSAP256 => "ES256",
        KeyAlgorithm.ECDSAP384 => "ES384",
        KeyAlgorithm.Ed25519 => "EdDSA",
        _ => "RS256",
    };

    /// <summary>The claims a well-behaved client sends for <paramref name="spiffeId"/>: iss = sub = the SPIFFE ID, aud the issuer, 60 s.</summary>
    public static Dictionary<string, object?> Claims(string spiffeId, DateTimeOffset now, string? jti = null) => new()
    {
        ["iss"] = spiffeId,
        ["sub"] = spiffeId,
        ["aud"] = IssuerUrl,
        ["iat"] = now.ToUnixTimeSeconds(),
        ["exp"] = now.ToUnixTimeSeconds() + 60,
        ["jti"] = jti ?? Guid.NewGuid().ToString("N"),
    };

    public static Dictionary<string, object?> Header(LoadedSvid svid, string? alg = null) => new()
    {
        ["alg"] = alg ?? AlgorithmFor(svid.Issued.Facts.KeyAlgorithm!.Value),
        ["x5c"] = new[] { Convert.ToBase64String(svid.Leaf.RawData) }.Concat(svid.Intermediates.Select(c => Convert.ToBase64String(c.RawData))).ToArray(),
    };

    /// <summary>Signs with the SVID's own key under the header's alg.</summary>
    public static string Sign(LoadedSvid signer, Dictionary<string, object?> header, Dictionary<string, object?> claims) =>
        Compact(header, claims, input => SignWith(signer, (string)header["alg"]!, input));

    /// <summary>Header and payload as given, and whatever signature <paramref name="sign"/> makes of the signing input.</summary>
    public static string Compact(Dictionary<string, object?> header, Dictionary<string, object?> claims, Func<byte[], byte[]> sign)
    {
        var input = Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(header)) + "." + Base64Url.EncodeToString(JsonSerializer.SerializeToUtf8Bytes(claims));
        return input + "." + Base64Url.EncodeToString(sign(Encoding.ASCII.GetBytes(input)));
    }

    public static byte[] SignWith(LoadedSvid signer, string alg, byte[] input)
    {
        switch (alg)
        {
            case "ES256" or "ES384":
                using (var ec = signer.Leaf.GetECDsaPrivateKey()!)
                {
                    return ec.SignData(input, alg == "ES256" ? HashAlgorithmName.SHA256 : HashAlgorithmName.SHA384);
                }
            case "RS256" or "PS256":
                using (var rsa = signer.Leaf.GetRSAPrivateKey()!)
                {
                    return rsa.SignData(input, HashAlgorithmName.SHA256, alg == "RS256" ? RSASignaturePadding.Pkcs1 : RSASignaturePadding.Pss);
                }
            case "EdDSA":
                var key = (Ed25519PrivateKeyParameters)PrivateKeyFactory.CreateKey(PemToDer(signer.Issued.PrivateKeyPem));
                var ed = new Ed25519Signer();
                ed.Init(true, key);
                ed.BlockUpdate(input, 0, input.Length);
                return ed.GenerateSignature();
            default:
                throw new ArgumentException($"no signer for {alg}", nameof(alg));
        }
    }

    private static byte[] PemToDer(string pem) => PemEncoding.TryFind(pem, out var fields)
        ? Convert.FromBase64String(pem[fields.Base64Data])
        : throw new ArgumentException("not PEM", nameof(pem));
}
