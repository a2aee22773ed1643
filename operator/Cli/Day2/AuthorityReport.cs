using System.Security.Cryptography;
using System.Security.Cryptography.X509Certificates;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using System.Text.Json.Serialization.Metadata;
using k8s.Models;
using Sigil.Api;
using Sigil.Authority;

namespace Sigil.Cli.Day2;

/// <summary>One CA as <c>sigil ca status</c> shows it: its state and public facts (never its key).</summary>
internal sealed record CaEntry(
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("subject")] string Subject,
    [property: JsonPropertyName("serialNumber")] string SerialNumber,
    [property: JsonPropertyName("fingerprintSHA256")] string FingerprintSha256,
    [property: JsonPropertyName("notBefore")] DateTimeOffset NotBefore,
    [property: JsonPropertyName("notAfter")] DateTimeOffset NotAfter,
    [property: JsonPropertyName("since")] DateTimeOffset? Since);

/// <summary>One JWT signing key: its kid, algorithm, state and the times of its lifecycle steps.</summary>
internal sealed record JwtKeyEntry(
    [property: JsonPropertyName("kid")] string KeyId,
    [property: JsonPropertyName("alg")] string Algorithm,
    [property: JsonPropertyName("state")] string State,
    [property: JsonPropertyName("preparedAt")] DateTimeOffset? PreparedAt,
    [property: JsonPropertyName("publishedAt")] DateTimeOffset? PublishedAt,
    [property: JsonPropertyName("activatedAt")] DateTimeOffset? ActivatedAt,
    [property: JsonPropertyName("retiredAt")] DateTimeOffset? RetiredAt);

/// <summary>The root of trust in the operator's namespace: the CAs, the JWT keys, and any manual rotation asked for.</summary>
/// <param name="Source">The Secret the CA state was read from: sigil-ca, or sigil-ca-trust when the CA comes from --ca-secret.</param>
/// <param name="RotationRequested">The sigil.dev/rotate value on sigil-ca now.</param>
/// <param name="RotationActedOn">The sigil.dev/rotate value the operator last prepared a CA for.</param>
/// <param name="Error">Why the state could not be read (no access, not installed), instead of the rest.</param>
internal sealed record AuthorityReport(
    [property: JsonPropertyName("namespace")] string Namespace,
    [property: JsonPropertyName("caSecret")] string? Source,
    [property: JsonPropertyName("rotationRequested")] string? RotationRequested,
    [property: JsonPropertyName("rotationActedOn")] string? RotationActedOn,
    [property: JsonPropertyName("cas")] IReadOnlyList<CaEntry> Cas,
    [property: JsonPropertyName("jwtKeys")] IReadOnlyList<JwtKeyEntry> JwtKeys,
    [property: JsonPropertyName("error")] string? Error)
{
    public static AuthorityReport Unreadable(string ns, string error) => new(ns, null, null, null, [], [], error);

    /// <summary>Whether the operator has prepared (or already activated) a CA for the manual rotation <paramref name="request"/>.</summary>
    public bool ActedOn(string request) => RotationActedOn == request;
}

/// <summary>
/// Reads the CA and JWT key state out of the operator's Secrets (pure). Only certificates and the state annotations are
/// read: the private keys beside them are never loaded, so nothing here can print them.
/// </summary>
internal static partial class AuthorityReader
{
    private sealed record StoredRetiring(
        [property: JsonPropertyName("anchorSha256")] string? AnchorSha256,
        [property: JsonPropertyName("manual")] bool Manual);

    private sealed record StoredCaState(
        [property: JsonPropertyName("activatedAt")] DateTimeOffset? ActivatedAt,
        [property: JsonPropertyName("preparedPublishedAt")] DateTimeOffset? PreparedPublishedAt,
        [property: JsonPropertyName("rotationRequest")] string? RotationRequest,
        [property: JsonPropertyName("retiring")] IReadOnlyList<StoredRetiring>? Retiring);

    private sealed record StoredJwtKey(
        [property: JsonPropertyName("kid")] string? KeyId,
        [property: JsonPropertyName("alg")] string? Algorithm,
        [property: JsonPropertyName("role")] string? Role,
        [property: JsonPropertyName("preparedAt")] DateTimeOffset? PreparedAt,
        [property: JsonPropertyName("publishedAt")] DateTimeOffset? PublishedAt,
        [property: JsonPropertyName("activatedAt")] DateTimeOffset? ActivatedAt,
        [property: JsonPropertyName("retiredAt")] DateTimeOffset? RetiredAt);

    private sealed record StoredJwtState([property: JsonPropertyName("keys")] IReadOnlyList<StoredJwtKey>? Keys);

    [JsonSerializable(typeof(StoredCaState))]
    [JsonSerializable(typeof(StoredJwtState))]
    private sealed partial class StoredJson : JsonSerializerContext;

    /// <param name="ca">Secret sigil-ca, or null when there is none.</param>
    /// <param name="trustState">Secret sigil-ca-trust (the state kept beside a --ca-secret CA), or null.</param>
    /// <param name="jwtKeys">Secret sigil-jwt-keys, or null.</param>
    public static AuthorityReport Read(string ns, V1Secret? ca, V1Secret? trustState, V1Secret? jwtKeys)
    {
        var source = ca ?? trustState;
        if (source is null)
        {
            return AuthorityReport.Unreadable(ns,
                $"neither Secret {AuthorityManager.DefaultSecretName} nor {AuthorityManager.TrustStateSecretName} is in namespace {ns}: is Sigil installed there? (--sigil-namespace)");
        }
        var state = Parse(source, AuthorityStateCodec.StateAnnotation, StoredJson.Default.StoredCaState);
        var cas = new List<CaEntry>();
        // sigil-ca holds the signer in tls.crt; with --ca-secret, Sigil's own Secret remembers the signer it last saw.
        if (FirstCertificate(source, ca is not null ? "tls.crt" : "signer.crt") is { } active)
        {
            using (active)
            {
                cas.Add(Entry("active", active, state?.ActivatedAt));
            }
        }
        if (FirstCertificate(source, AuthorityStateCodec.PreparedCertificateKey) is { } prepared)
        {
            using (prepared)
            {
                cas.Add(Entry(state?.PreparedPublishedAt is null ? "prepared" : "prepared (published)", prepared, state?.PreparedPublishedAt));
            }
        }
        foreach (var retiring in Certificates(source, AuthorityStateCodec.RetiringKey))
        {
            using (retiring)
            {
                var hash = Convert.ToHexStringLower(retiring.GetCertHash(HashAlgorithmName.SHA256));
                var manual = state?.Retiring?.FirstOrDefault(r => r.AnchorSha256 == hash)?.Manual ?? false;
                cas.Add(Entry(manual ? "retiring (manual)" : "retiring", retiring, null));
            }
        }
        var requested = ca?.Metadata?.Annotations is { } a && a.TryGetValue(Labels.RotateAnnotation, out var value) ? value : null;
        var keys = (Parse(jwtKeys, JwtKeyStateCodec.StateAnnotation, StoredJson.Default.StoredJwtState)?.Keys ?? [])
            .Where(k => k.KeyId is not null)
            .Select(k => new JwtKeyEntry(k.KeyId!, k.Algorithm ?? "?", k.Role ?? "?", k.PreparedAt, k.PublishedAt, k.ActivatedAt, k.RetiredAt))
            .ToList();
        return new AuthorityReport(ns, source.Metadata?.Name, requested, state?.RotationRequest, cas, keys, null);
    }

    private static CaEntry Entry(string state, X509Certificate2 c, DateTimeOffset? since) => new(
        state, c.Subject, Convert.ToHexStringLower(c.SerialNumberBytes.Span), Convert.ToHexStringLower(c.GetCertHash(HashAlgorithmName.SHA256)),
        new DateTimeOffset(c.NotBefore.ToUniversalTime()), new DateTimeOffset(c.NotAfter.ToUniversalTime()), since);

    private static T? Parse<T>(V1Secret? secret, string annotation, JsonTypeInfo<T> type) where T : class
    {
        if (secret?.Metadata?.Annotations is not { } a || !a.TryGetValue(annotation, out var json))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(json, type);
        }
        catch (JsonException)
        {
            return null;
        }
    }

    private static X509Certificate2? FirstCertificate(V1Secret secret, string key)
    {
        var all = Certificates(secret, key);
        foreach (var extra in all.Skip(1))
        {
            extra.Dispose();
        }
        return all.FirstOrDefault();
    }

    private static List<X509Certificate2> Certificates(V1Secret secret, string key)
    {
        if (secret.Data is not { } data || !data.TryGetValue(key, out var pem) || pem.Length == 0)
        {
            return [];
        }
        var collection = new X509Certificate2Collection();
        try
        {
            collection.ImportFromPem(Encoding.ASCII.GetString(pem));
        }
        catch (CryptographicException)
        {
            return [];
        }
        return [.. collection];
    }
}

/// <summary>The tables of <c>sigil ca status</c> (pure).</summary>
internal static class AuthorityTable
{
    public static string Render(AuthorityReport report, DateTimeOffset now)
    {
        if (report.Error is { } error)
        {
            return $"CA and JWT keys: {error}\n";
        }
        var text = new StringBuilder();
        text.Append(TextTable.Render(["CA", "SUBJECT", "FINGERPRINT (SHA-256)", "NOT AFTER", "SINCE"],
            report.Cas.Select(c => (IReadOnlyList<string>)[c.State, c.Subject, Short(c.FingerprintSha256), Output.Relative(c.NotAfter, now), Output.Relative(c.Since, now)])));
        if (report.RotationRequested is { } requested && requested != report.RotationActedOn)
        {
            text.Append($"Manual rotation {Labels.RotateAnnotation}={requested} is requested and not yet acted on.\n");
        }
        text.Append('\n');
        text.Append(report.JwtKeys.Count == 0 ? "No JWT signing keys yet.\n" : TextTable.Render(["JWT KEY", "ALG", "STATE", "PUBLISHED", "ACTIVATED", "RETIRED"],
            report.JwtKeys.Select(k => (IReadOnlyList<string>)[k.KeyId, k.Algorithm, k.State, Output.Relative(k.PublishedAt, now), Output.Relative(k.ActivatedAt, now), Output.Relative(k.RetiredAt, now)])));
        return text.ToString();
    }

    /// <summary>The first 16 hex digits, enough to tell CAs apart in a table (json/yaml give all 64).</summary>
    public static string Short(string fingerprint) => fingerprint.Length > 16 ? fingerprint[..16] + "…" : fingerprint;
}
