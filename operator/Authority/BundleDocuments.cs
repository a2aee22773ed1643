using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;

namespace Sigil.Authority;

/// <summary>
/// A public key that signs JWTs, as the trust bundle publishes it: <paramref name="KeyId"/> becomes the JWK's
/// <c>kid</c>, <paramref name="Algorithm"/> its <c>alg</c> in <c>jwks.json</c> (ES256, ES384, RS256, ...), and
/// <paramref name="PublicKey"/> (an <see cref="ECDsa"/> or <see cref="RSA"/>, owned by the caller) its key parameters.
/// </summary>
internal sealed record JsonWebKeyInput(string KeyId, string Algorithm, AsymmetricAlgorithm PublicKey);

/// <summary>
/// The three documents of the <c>sigil-trust-bundle</c> ConfigMap, rendered from the CAs and JWT keys currently
/// trusted. Pure and deterministic: the same input gives the same bytes, so an unchanged bundle is never rewritten.
/// </summary>
/// <remarks>
/// The JSON is written with <see cref="Utf8JsonWriter"/> rather than Microsoft.IdentityModel's JsonWebKey: that
/// library adds members the SPIFFE bundle must not carry (a thumbprint <c>kid</c> and <c>x5t</c> on certificate keys),
/// has no place for <c>spiffe_sequence</c> and <c>spiffe_refresh_hint</c>, and would be a dependency of the operator
/// image for some forty lines of output whose shape the SPIFFE specification fixes member by member.
/// </remarks>
internal static class BundleDocuments
{
    /// <summary><c>ca.crt</c>: every CA certificate as PEM, in the order given, each followed by a newline.</summary>
    public static string Pem(IReadOnlyList<X509Certificate2> authorities)
    {
        var pem = new StringBuilder();
        foreach (var authority in authorities)
        {
            pem.Append(PemEncoding.Write("CERTIFICATE", authority.RawData)).Append('\n');
        }
        return pem.ToString();
    }

    /// <summary>
    /// <c>bundle.spiffe</c>: the SPIFFE bundle format (SPIFFE Trust Domain and Bundle, section 4), a JWKS whose
    /// CA keys have <c>use: x509-svid</c>, exactly one certificate in <c>x5c</c> and no <c>kid</c>, and whose JWT keys
    /// have <c>use: jwt-svid</c> and a <c>kid</c>; with <c>spiffe_sequence</c> and <c>spiffe_refresh_hint</c> (whole seconds).
    /// </summary>
    public static string SpiffeBundle(IReadOnlyList<X509Certificate2> authorities, IReadOnlyList<JsonWebKeyInput>? jwtKeys, long sequence, TimeSpan refreshHint) =>
        Write(json =>
        {
            json.WriteStartArray("keys");
            foreach (var authority in authorities)
            {
                json.WriteStartObject();
                json.WriteString("use", "x509-svid");
                WritePublicKey(json, CertificateKey(authority));
                json.WriteStartArray("x5c");
                json.WriteStringValue(Convert.ToBase64String(authority.RawData));
                json.WriteEndArray();
                json.WriteEndObject();
            }
            foreach (var key in jwtKeys ?? [])
            {
                json.WriteStartObject();
                json.WriteString("use", "jwt-svid");
                json.WriteString("kid", key.KeyId);
                WritePublicKey(json, key.PublicKey);
                json.WriteEndObject();
            }
            json.WriteEndArray();
            json.WriteNumber("spiffe_sequence", sequence);
            json.WriteNumber("spiffe_refresh_hint", (long)Math.Ceiling(refreshHint.TotalSeconds));
        });

    /// <summary><c>jwks.json</c>: the JWT signing keys only, for ordinary JWT libraries (<c>use: sig</c>, <c>alg</c>, <c>kid</c>).</summary>
    public static string Jwks(IReadOnlyList<JsonWebKeyInput>? jwtKeys) =>
        Write(json =>
        {
            json.WriteStartArray("keys");
            foreach (var key in jwtKeys ?? [])
            {
                json.WriteStartObject();
                json.WriteString("use", "sig");
                json.WriteString("alg", key.Algorithm);
                json.WriteString("kid", key.KeyId);
                WritePublicKey(json, key.PublicKey);
                json.WriteEndObject();
            }
            json.WriteEndArray();
        });

    private static string Write(Action<Utf8JsonWriter> members)
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions
        {
            Indented = true,
            NewLine = "\n",
            // Base64 holds '+' and '/', which the default encoder escapes as \u002B for HTML's sake; these documents are
            // read by JSON parsers and people, never embedded in a page.
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }))
        {
            json.WriteStartObject();
            members(json);
            json.WriteEndObject();
        }
        return Encoding.UTF8.GetString(buffer.ToArray()) + "\n";
    }

    private static AsymmetricAlgorithm CertificateKey(X509Certificate2 authority) =>
        (AsymmetricAlgorithm?)authority.GetECDsaPublicKey() ?? authority.GetRSAPublicKey()
        ?? throw new NotSupportedException($"CA {authority.Subject} has a {authority.PublicKey.Oid.FriendlyName ?? authority.PublicKey.Oid.Value} key; a trust bundle holds ECDSA and RSA keys");

    // RFC 7518 6.2.1 and 6.3.1: base64url without padding; EC coordinates are the full field size, which
    // ExportParameters already gives (leading zero bytes kept), so a key never renders shorter than its curve.
    private static void WritePublicKey(Utf8JsonWriter json, AsymmetricAlgorithm key)
    {
        switch (key)
        {
            case ECDsa ec:
                var p = ec.ExportParameters(includePrivateParameters: false);
                var size = (ec.KeySize + 7) / 8;
                json.WriteString("kty", "EC");
                json.WriteString("crv", CurveName(p.Curve));
                json.WriteString("x", Base64Url.EncodeToString(LeftPad(p.Q.X!, size)));
                json.WriteString("y", Base64Url.EncodeToString(LeftPad(p.Q.Y!, size)));
                break;
            case RSA rsa:
                var r = rsa.ExportParameters(includePrivateParameters: false);
                json.WriteString("kty", "RSA");
                json.WriteString("n", Base64Url.EncodeToString(r.Modulus));
                json.WriteString("e", Base64Url.EncodeToString(r.Exponent));
                break;
            default:
                throw new NotSupportedException($"a {key.GetType().Name} key cannot be published as a JWK; use ECDSA or RSA");
        }
    }

    private static string CurveName(ECCurve curve) => (curve.Oid.Value, curve.Oid.FriendlyName) switch
    {
        ("1.2.840.10045.3.1.7", _) or (null, "nistP256" or "ECDSA_P256" or "secp256r1") => "P-256",
        ("1.3.132.0.34", _) or (null, "nistP384" or "ECDSA_P384" or "secp384r1") => "P-384",
        ("1.3.132.0.35", _) or (null, "nistP521" or "ECDSA_P521" or "secp521r1") => "P-521",
        _ => throw new NotSupportedException($"the curve {curve.Oid.FriendlyName ?? curve.Oid.Value} has no JWK name; use P-256, P-384 or P-521"),
    };

    private static byte[] LeftPad(byte[] value, int size)
    {
        if (value.Length >= size)
        {
            return value;
        }
        var padded = new byte[size];
        value.CopyTo(padded, size - value.Length);
        return padded;
    }
}
