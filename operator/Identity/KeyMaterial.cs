using System.Formats.Asn1;
using System.Security.Cryptography;
using Org.BouncyCastle.Crypto.Parameters;
using Org.BouncyCastle.Security;
using Org.BouncyCastle.X509;

namespace Sigil.Identity;

/// <summary>Reads a PKCS#8 private key just far enough to name its public key; never logs or returns the key.</summary>
internal static class KeyMaterial
{
    /// <summary>SHA-256 of the SubjectPublicKeyInfo belonging to the private key, or null if the PEM is not a key.</summary>
    public static string? PublicKeySpkiSha256(string privateKeyPem)
    {
        try
        {
            if (!PemEncoding.TryFind(privateKeyPem, out var fields) || privateKeyPem[fields.Label] != "PRIVATE KEY")
            {
                return null;
            }
            var der = Convert.FromBase64String(privateKeyPem[fields.Base64Data]);
            byte[] spki;
            var parsed = PrivateKeyFactory.CreateKey(der);
            if (parsed is Ed25519PrivateKeyParameters ed)
            {
                spki = SubjectPublicKeyInfoFactory.CreateSubjectPublicKeyInfo(ed.GeneratePublicKey()).GetDerEncoded();
            }
            else if (parsed is RsaPrivateCrtKeyParameters)
            {
                using var rsa = RSA.Create();
                rsa.ImportPkcs8PrivateKey(der, out _);
                spki = rsa.ExportSubjectPublicKeyInfo();
            }
            else
            {
                using var ec = ECDsa.Create();
                ec.ImportPkcs8PrivateKey(der, out _);
                spki = ec.ExportSubjectPublicKeyInfo();
            }
            return Convert.ToHexStringLower(SHA256.HashData(spki));
        }
        catch (Exception e) when (e is CryptographicException or FormatException or ArgumentException or InvalidOperationException or IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Whether the PEM is a PKCS#8 v2 key (RFC 5958 OneAsymmetricKey, version 1, public key attached). Sigil before
    /// issue 8 wrote Ed25519 keys that way; OpenSSL 3.0, Node and Python's cryptography cannot read them, so nginx,
    /// Envoy and curl could not load them. Keys Sigil writes now are v1 (version 0, RFC 5208 and RFC 8410).
    /// </summary>
    public static bool IsPkcs8V2(string privateKeyPem)
    {
        try
        {
            if (!PemEncoding.TryFind(privateKeyPem, out var fields) || privateKeyPem[fields.Label] != "PRIVATE KEY")
            {
                return false;
            }
            var reader = new AsnReader(Convert.FromBase64String(privateKeyPem[fields.Base64Data]), AsnEncodingRules.BER).ReadSequence();
            return reader.TryReadInt32(out var version) && version == 1;
        }
        catch (Exception e) when (e is AsnContentException or FormatException)
        {
            return false;
        }
    }
}
