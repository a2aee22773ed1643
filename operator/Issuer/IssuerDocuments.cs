using System.Buffers;
using System.Buffers.Text;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Sigil.Authority;

namespace Sigil.Issuer;

/// <summary>One response body, rendered once, with the headers that let caches keep it.</summary>
/// <param name="ETag">A strong entity tag from the body's SHA-256: every replica holding the same keys gives the same tag,
/// so a client revalidating through the Service gets 304 from whichever replica answers.</param>
internal sealed record IssuerDocument(byte[] Body, string ContentType, string ETag, string CacheControl)
{
    public static IssuerDocument Of(byte[] body, string contentType, string cacheControl) =>
        new(body, contentType, $"\"{Base64Url.EncodeToString(SHA256.HashData(body))[..22]}\"", cacheControl);
}

/// <summary>What the issuer answers from memory for one trust snapshot: the discovery document and the JWKS.</summary>
internal sealed record IssuerDocuments(IssuerDocument Discovery, IssuerDocument Keys)
{
    public const string DiscoveryPath = "/.well-known/openid-configuration";
    public const string KeysPath = "/keys";
    /// <summary>The token endpoint (Token/TokenEndpoint), under the issuer's path.</summary>
    public const string TokenPath = "/oauth2/token";

    public static IssuerDocuments Render(string issuerUrl, string configuredAlgorithm, TrustSnapshot trust, TimeSpan propagation)
    {
        var cacheControl = CacheControl(propagation);
        var algorithms = new[] { configuredAlgorithm }.Concat(trust.JwtKeys.Published.Select(k => k.Algorithm)).Distinct(StringComparer.Ordinal).ToArray();
        return new IssuerDocuments(
            IssuerDocument.Of(DiscoveryJson(issuerUrl, algorithms), "application/json", cacheControl),
            IssuerDocument.Of(Encoding.UTF8.GetBytes(trust.Jwks), "application/jwk-set+json", cacheControl));
    }

    /// <summary>
    /// A new JWT key is published --bundle-propagation before it signs. A client's cache may hold the JWKS for max-age;
    /// a follower replica may hold an older snapshot for a while before it sees the change: max-age is half of
    /// --bundle-propagation, leaving the other half for the follower. Zero propagation (trials): revalidate every time.
    /// </summary>
    public static string CacheControl(TimeSpan propagation)
    {
        var seconds = (long)Math.Floor(propagation.TotalSeconds / 2);
        return seconds > 0 ? $"public, max-age={seconds}" : "no-cache";
    }

    /// <summary>
    /// OpenID Connect Discovery 1.0 section 3, with the members PRODUCT.md lists. authorization_endpoint, which section 3
    /// marks REQUIRED, is left out as kube-apiserver's service-account issuer leaves it out: there is no authorization
    /// endpoint, and relying parties that validate tokens (Vault, Microsoft.IdentityModel, cloud IAM federation) read
    /// issuer and jwks_uri only.
    /// </summary>
    private static byte[] DiscoveryJson(string issuerUrl, IReadOnlyList<string> algorithms)
    {
        var buffer = new ArrayBufferWriter<byte>(512);
        using (var w = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            w.WriteStartObject();
            w.WriteString("issuer", issuerUrl);
            w.WriteString("jwks_uri", issuerUrl + KeysPath);
            w.WriteString("token_endpoint", issuerUrl + TokenPath);
            Array(w, "grant_types_supported", "client_credentials");
            Array(w, "token_endpoint_auth_methods_supported", "client_secret_basic", "client_secret_post", "tls_client_auth", "private_key_jwt");
            // private_key_jwt: the algorithms an SVID key can sign with (RFC 8414 2); never none or an HMAC.
            Array(w, "token_endpoint_auth_signing_alg_values_supported", [.. Token.ClientAuthentication.ClientAssertionValidator.Algorithms]);
            // RFC 8705 3.3: tokens issued to tls_client_auth clients are bound to their certificate (cnf.x5t#S256).
            w.WriteBoolean("tls_client_certificate_bound_access_tokens", true);
            Array(w, "id_token_signing_alg_values_supported", [.. algorithms]);
            Array(w, "response_types_supported", "id_token");
            Array(w, "subject_types_supported", "public");
            w.WriteEndObject();
        }
        return buffer.WrittenSpan.ToArray();
    }

    private static void Array(Utf8JsonWriter w, string name, params string[] values)
    {
        w.WriteStartArray(name);
        foreach (var v in values)
        {
            w.WriteStringValue(v);
        }
        w.WriteEndArray();
    }
}
