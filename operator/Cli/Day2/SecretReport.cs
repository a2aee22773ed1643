using System.Buffers.Text;
using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;
using Sigil.Api;
using Sigil.Credentials.ApiKeys;
using Sigil.Credentials.OAuth2;
using Sigil.Identity;

namespace Sigil.Cli.Day2;

/// <summary>An SVID Secret's certificate, and whether it verifies and fits its key.</summary>
/// <param name="ChainVerified">The chain in tls.crt verifies, now, up to a CA in the namespace's sigil-trust-bundle ca.crt.</param>
/// <param name="BundleCurrent">The Secret's own ca.crt is the namespace's bundle (null when there is no bundle to compare).</param>
internal sealed record X509Facts(
    [property: JsonPropertyName("spiffeID")] string? SpiffeId,
    [property: JsonPropertyName("uris")] IReadOnlyList<string> Uris,
    [property: JsonPropertyName("dnsNames")] IReadOnlyList<string> DnsNames,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("issuer")] string Issuer,
    [property: JsonPropertyName("serialNumber")] string SerialNumber,
    [property: JsonPropertyName("fingerprintSHA256")] string FingerprintSha256,
    [property: JsonPropertyName("keyAlgorithm")] string? KeyAlgorithm,
    [property: JsonPropertyName("notBefore")] DateTimeOffset NotBefore,
    [property: JsonPropertyName("notAfter")] DateTimeOffset NotAfter,
    [property: JsonPropertyName("chainLength")] int ChainLength,
    [property: JsonPropertyName("chainVerified")] bool ChainVerified,
    [property: JsonPropertyName("chainDetail")] string ChainDetail,
    [property: JsonPropertyName("keyMatchesCertificate")] bool KeyMatchesCertificate,
    [property: JsonPropertyName("bundleCurrent")] bool? BundleCurrent);

/// <summary>A caller's API-key Secret: which key it presents, never the key.</summary>
internal sealed record ApiKeyFacts(
    [property: JsonPropertyName("keyId")] string? KeyId,
    [property: JsonPropertyName("type")] string? Type,
    [property: JsonPropertyName("audience")] string? Audience,
    [property: JsonPropertyName("spiffeID")] string? SpiffeId,
    [property: JsonPropertyName("rotatedAt")] DateTimeOffset? RotatedAt,
    [property: JsonPropertyName("hasHmacSecret")] bool HasHmacSecret,
    [property: JsonPropertyName("nextKeyId")] string? NextKeyId);

/// <summary>One entry of a verifier Secret's keys.json, without its sha256 or secret.</summary>
internal sealed record VerifierFacts(
    [property: JsonPropertyName("keyId")] string KeyId,
    [property: JsonPropertyName("caller")] string Caller,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("notAfter")] DateTimeOffset? NotAfter);

/// <summary>One JWT in a JWT-SVID Secret: its header and claims, decoded; never the token or its signature.</summary>
internal sealed record JwtFacts(
    [property: JsonPropertyName("key")] string Key,
    [property: JsonPropertyName("kid")] string? KeyId,
    [property: JsonPropertyName("alg")] string? Algorithm,
    [property: JsonPropertyName("typ")] string? Type,
    [property: JsonPropertyName("sub")] string? Subject,
    [property: JsonPropertyName("aud")] string? Audience,
    [property: JsonPropertyName("iss")] string? Issuer,
    [property: JsonPropertyName("iat")] DateTimeOffset? IssuedAt,
    [property: JsonPropertyName("exp")] DateTimeOffset? ExpiresAt);

/// <summary>A client secret the token endpoint accepts: its id and grace, never its hash.</summary>
internal sealed record ClientSecretFacts(
    [property: JsonPropertyName("keyId")] string KeyId,
    [property: JsonPropertyName("notAfter")] DateTimeOffset? NotAfter);

/// <summary>An OAuth 2.0 client Secret: who the client is and which secret it presents, never the secret.</summary>
internal sealed record OAuth2Facts(
    [property: JsonPropertyName("clientID")] string? ClientId,
    [property: JsonPropertyName("tokenEndpoint")] string? TokenEndpoint,
    [property: JsonPropertyName("keyId")] string? KeyId,
    [property: JsonPropertyName("rotatedAt")] DateTimeOffset? RotatedAt,
    [property: JsonPropertyName("nextKeyId")] string? NextKeyId,
    [property: JsonPropertyName("accepted")] IReadOnlyList<ClientSecretFacts> Accepted);

/// <summary>What <c>sigil inspect secret</c> prints. Exactly one of the kind-specific parts is set.</summary>
/// <param name="Kind">x509, apiKey, verifiers, jwt or oauth2.</param>
/// <param name="Problems">What is wrong with it (the command then exits 2).</param>
internal sealed record SecretReport(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("name")] string Name,
    [property: JsonPropertyName("kind")] string Kind,
    [property: JsonPropertyName("identity")] string? Identity,
    [property: JsonPropertyName("rotationRequest")] string? RotationRequest,
    [property: JsonPropertyName("x509")] X509Facts? X509,
    [property: JsonPropertyName("apiKey")] ApiKeyFacts? ApiKey,
    [property: JsonPropertyName("verifiers")] IReadOnlyList<VerifierFacts>? Verifiers,
    [property: JsonPropertyName("jwts")] IReadOnlyList<JwtFacts>? Jwts,
    [property: JsonPropertyName("oauth2")] OAuth2Facts? OAuth2,
    [property: JsonPropertyName("problems")] IReadOnlyList<string> Problems);

/// <summary>
/// Reads a Secret Sigil wrote into a <see cref="SecretReport"/> (pure). Whatever is secret (keys, HMAC secrets, client
/// secrets, hashes, tokens) is read only to derive ids, checks and claims; no value of it is copied into the report.
/// </summary>
internal static class SecretInspection
{
    /// <summary>The report, or null when the Secret is none of the kinds Sigil writes.</summary>
    /// <param name="trustBundlePem">ca.crt of the namespace's sigil-trust-bundle ConfigMap, or null when there is none.</param>
    public static SecretReport? Inspect(V1Secret secret, string? trustBundlePem, DateTimeOffset now)
    {
        var data = secret.Data ?? new Dictionary<string, byte[]>();
        var kind = KindOf(secret.Type, data.Keys);
        if (kind is null)
        {
            return null;
        }
        var problems = new List<string>();
        var report = new SecretReport(secret.Metadata.NamespaceProperty ?? "", secret.Metadata.Name ?? "", kind,
            Annotation(secret, Labels.Identity, labels: true), Annotation(secret, Labels.RotationRequestAnnotation),
            null, null, null, null, null, problems);
        return kind switch
        {
            "x509" => report with { X509 = X509(data, trustBundlePem, now, problems) },
            "verifiers" => report with { Verifiers = Verifiers(data) },
            "apiKey" => report with { ApiKey = ApiKey(secret, data, problems) },
            "oauth2" => report with { OAuth2 = OAuth2(secret, data, problems) },
            _ => report with { Jwts = Jwts(data, now, problems) },
        };
    }

    /// <summary>Which kind of Secret this is, from its type and data keys (pure).</summary>
    public static string? KindOf(string? type, IEnumerable<string> keys)
    {
        var set = keys.ToHashSet(StringComparer.Ordinal);
        return type == "kubernetes.io/tls" || set.Contains("tls.crt") ? "x509"
            : set.Contains("keys.json") ? "verifiers"
            : set.Contains("api-key") || set.Contains("key-id") ? "apiKey"
            : set.Contains(ClientSecretRendering.ClientIdKey) ? "oauth2"
            : set.Count > 0 && set.All(k => k.EndsWith(".jwt", StringComparison.Ordinal)) ? "jwt"
            : null;
    }

    private static X509Facts? X509(IDictionary<string, byte[]> data, string? bundlePem, DateTimeOffset now, List<string> problems)
    {
        var chain = new X509Certificate2Collection();
        try
        {
            chain.ImportFromPem(Text(data, "tls.crt") ?? "");
        }
        catch (CryptographicException)
        {
        }
        if (chain.Count == 0)
        {
            problems.Add("tls.crt holds no readable certificate");
            return null;
        }
        var leaf = chain[0];
        var facts = CertificateFacts.Of(leaf);
        var keyPem = Text(data, "tls.key");
        var keyMatches = keyPem is not null && KeyMaterial.PublicKeySpkiSha256(keyPem) is { } spki && spki == facts.PublicKeySpkiSha256;
        if (!keyMatches)
        {
            problems.Add(keyPem is null ? "tls.key is missing" : "tls.key does not match the certificate's public key");
        }
        var (verified, detail) = Verify(chain, bundlePem, now);
        if (!verified)
        {
            problems.Add($"the chain does not verify: {detail}");
        }
        if (now > facts.NotAfter)
        {
            problems.Add($"the certificate expired at {Output.Iso(facts.NotAfter)}");
        }
        var spiffe = facts.UriNames.FirstOrDefault(u => u.StartsWith("spiffe://", StringComparison.Ordinal));
        var bundleCurrent = bundlePem is null ? (bool?)null : Normalize(Text(data, "ca.crt")) == Normalize(bundlePem);
        var result = new X509Facts(spiffe, facts.UriNames, facts.DnsNames, leaf.Subject, leaf.Issuer, facts.SerialNumber, facts.FingerprintSha256,
            facts.KeyAlgorithm?.ToString(), facts.NotBefore, facts.NotAfter, chain.Count, verified, detail, keyMatches, bundleCurrent);
        foreach (var c in chain)
        {
            c.Dispose();
        }
        return result;
    }

    /// <summary>Whether the chain verifies at <paramref name="now"/> up to a CA of the bundle, and what the chain builder said.</summary>
    public static (bool Verified, string Detail) Verify(X509Certificate2Collection chain, string? bundlePem, DateTimeOffset now)
    {
        if (bundlePem is null)
        {
            return (false, "the namespace has no sigil-trust-bundle ConfigMap with ca.crt to verify against");
        }
        var anchors = new X509Certificate2Collection();
        try
        {
            anchors.ImportFromPem(bundlePem);
        }
        catch (CryptographicException)
        {
        }
        if (anchors.Count == 0)
        {
            return (false, "sigil-trust-bundle ca.crt holds no readable certificate");
        }
        using var builder = new X509Chain();
        builder.ChainPolicy.TrustMode = X509ChainTrustMode.CustomRootTrust;
        builder.ChainPolicy.CustomTrustStore.AddRange(anchors);
        builder.ChainPolicy.RevocationMode = X509RevocationMode.NoCheck;
        builder.ChainPolicy.VerificationTime = now.UtcDateTime;
        builder.ChainPolicy.VerificationTimeIgnored = false;
        foreach (var intermediate in chain.Skip(1))
        {
            builder.ChainPolicy.ExtraStore.Add(intermediate);
        }
        var ok = builder.Build(chain[0]);
        var detail = ok
            ? $"against sigil-trust-bundle ({anchors.Count} CA{(anchors.Count == 1 ? "" : "s")}), anchored at {builder.ChainElements[^1].Certificate.Subject} (SHA-256 {Convert.ToHexStringLower(builder.ChainElements[^1].Certificate.GetCertHash(HashAlgorithmName.SHA256))[..16]}…)"
            : string.Join("; ", builder.ChainStatus.Select(s => s.Status.ToString()).Distinct()) is { Length: > 0 } status ? status : "no chain to a trusted CA";
        foreach (var anchor in anchors)
        {
            anchor.Dispose();
        }
        return (ok, detail);
    }

    private static List<VerifierFacts> Verifiers(IDictionary<string, byte[]> data) =>
        [.. VerifierPlan.Parse(data.TryGetValue("keys.json", out var json) ? json : null).Select(e => new VerifierFacts(e.KeyId, e.Caller, e.Name, e.Type, e.NotAfter))];

    private static ApiKeyFacts ApiKey(V1Secret secret, IDictionary<string, byte[]> data, List<string> problems)
    {
        var current = ApiKeyMaterial.Parse(Text(data, "api-key"));
        var keyId = Text(data, "key-id");
        if (current is null)
        {
            problems.Add("api-key is missing or not in Sigil's form");
        }
        else if (keyId is not null && keyId != current.KeyId)
        {
            problems.Add($"key-id {keyId} is not the id of the key in api-key ({current.KeyId})");
        }
        var type = Annotation(secret, "sigil.dev/key-type");
        if (type == "HMACSHA256" && !data.ContainsKey("hmac-secret"))
        {
            problems.Add("an HMACSHA256 key's Secret has no hmac-secret");
        }
        return new ApiKeyFacts(current?.KeyId ?? keyId, type, Annotation(secret, "sigil.dev/audience"), Annotation(secret, Labels.SpiffeIdAnnotation),
            Time(Annotation(secret, ApiKeyRendering.RotatedAtAnnotation)), data.ContainsKey("hmac-secret"), ApiKeyMaterial.Parse(Text(data, "next-api-key"))?.KeyId);
    }

    private static OAuth2Facts OAuth2(V1Secret secret, IDictionary<string, byte[]> data, List<string> problems)
    {
        var current = ApiKeyMaterial.Parse(Text(data, ClientSecretRendering.ClientSecretKey));
        if (current is null)
        {
            problems.Add("client-secret is missing or not in Sigil's form");
        }
        var accepted = ClientSecretVerifiers.Parse(Annotation(secret, ClientSecretVerifiers.Annotation)).Select(v => new ClientSecretFacts(v.KeyId, v.NotAfter)).ToList();
        if (current is not null && accepted.Count > 0 && accepted.All(a => a.KeyId != current.KeyId))
        {
            problems.Add($"the token endpoint does not accept the client secret this Secret presents ({current.KeyId})");
        }
        return new OAuth2Facts(Text(data, ClientSecretRendering.ClientIdKey), Text(data, ClientSecretRendering.TokenEndpointKey), current?.KeyId,
            Time(Annotation(secret, ApiKeyRendering.RotatedAtAnnotation)), ApiKeyMaterial.Parse(Text(data, ClientSecretRendering.NextClientSecretKey))?.KeyId, accepted);
    }

    private static List<JwtFacts> Jwts(IDictionary<string, byte[]> data, DateTimeOffset now, List<string> problems)
    {
        var result = new List<JwtFacts>();
        foreach (var (key, value) in data.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            var facts = Decode(key, value);
            if (facts is null)
            {
                problems.Add($"{key} is not a JWT");
                continue;
            }
            if (facts.ExpiresAt is { } exp && exp <= now)
            {
                problems.Add($"{key} expired at {Output.Iso(exp)}");
            }
            result.Add(facts);
        }
        return result;
    }

    /// <summary>The header and claims of a compact JWS, or null when it is not one. The signature is not looked at.</summary>
    public static JwtFacts? Decode(string key, byte[] token)
    {
        try
        {
            var parts = Encoding.ASCII.GetString(token).Trim().Split('.');
            if (parts.Length != 3)
            {
                return null;
            }
            using var header = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[0]));
            using var claims = JsonDocument.Parse(Base64Url.DecodeFromChars(parts[1]));
            if (header.RootElement.ValueKind != JsonValueKind.Object || claims.RootElement.ValueKind != JsonValueKind.Object)
            {
                return null;
            }
            return new JwtFacts(key, Str(header.RootElement, "kid"), Str(header.RootElement, "alg"), Str(header.RootElement, "typ"),
                Str(claims.RootElement, "sub"), Audience(claims.RootElement), Str(claims.RootElement, "iss"),
                Unix(claims.RootElement, "iat"), Unix(claims.RootElement, "exp"));
        }
        catch (Exception e) when (e is FormatException or JsonException or ArgumentException)
        {
            return null;
        }
    }

    private static string? Str(JsonElement e, string name) => e.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString() : null;

    private static string? Audience(JsonElement claims) => claims.TryGetProperty("aud", out var aud)
        ? aud.ValueKind == JsonValueKind.Array ? string.Join(",", aud.EnumerateArray().Select(a => a.ToString())) : aud.ValueKind == JsonValueKind.String ? aud.GetString() : null
        : null;

    private static DateTimeOffset? Unix(JsonElement e, string name) =>
        e.TryGetProperty(name, out var v) && v.TryGetInt64(out var seconds) && seconds is > 0 and < 253402300799 ? DateTimeOffset.FromUnixTimeSeconds(seconds) : null;

    private static string? Text(IDictionary<string, byte[]> data, string key) =>
        data.TryGetValue(key, out var bytes) && bytes.Length > 0 ? Encoding.UTF8.GetString(bytes) : null;

    private static string? Annotation(V1Secret secret, string key, bool labels = false) =>
        (labels ? secret.Metadata?.Labels : secret.Metadata?.Annotations) is { } map && map.TryGetValue(key, out var value) ? value : null;

    private static DateTimeOffset? Time(string? text) =>
        DateTimeOffset.TryParse(text, System.Globalization.CultureInfo.InvariantCulture, System.Globalization.DateTimeStyles.AssumeUniversal, out var t) ? t : null;

    private static string Normalize(string? pem) => (pem ?? "").Replace("\r", "", StringComparison.Ordinal).Trim();
}
