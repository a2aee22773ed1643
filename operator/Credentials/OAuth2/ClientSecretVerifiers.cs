using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using Sigil.Runtime;

namespace Sigil.Credentials.OAuth2;

/// <summary>
/// One client secret the token endpoint accepts: its id, the lowercase hex SHA-256 of the secret's UTF-8 bytes, and,
/// for a previous secret, the end of its grace period (null for the current secret and for a staged next one).
/// </summary>
internal sealed record ClientSecretVerifier(
    [property: JsonPropertyName("keyId")] string KeyId,
    [property: JsonPropertyName("sha256")] string Sha256,
    [property: JsonPropertyName("notAfter"), JsonIgnore(Condition = JsonIgnoreCondition.Never), JsonConverter(typeof(RfcTimestampConverter))] DateTimeOffset? NotAfter);

/// <summary>notAfter as Kubernetes writes times (<c>2026-11-27T19:25:22Z</c>); any RFC 3339 offset is read.</summary>
internal sealed class RfcTimestampConverter : JsonConverter<DateTimeOffset?>
{
    public override DateTimeOffset? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options) =>
        reader.TokenType == JsonTokenType.Null ? null : reader.GetDateTimeOffset();

    public override void Write(Utf8JsonWriter writer, DateTimeOffset? value, JsonSerializerOptions options)
    {
        if (value is { } t)
        {
            writer.WriteStringValue(Api.Timestamps.Format(t));
        }
        else
        {
            writer.WriteNullValue();
        }
    }
}

/// <summary>
/// The contract between the client-secret credential and the token endpoint: annotation
/// <c>sigil.dev/client-secret-verifiers</c> on an identity's &lt;name&gt;-oauth2 Secret holds a JSON array of
/// <c>{"keyId": "...", "sha256": "&lt;lowercase hex SHA-256 of the UTF-8 client secret&gt;", "notAfter": "&lt;RFC 3339&gt;" | null}</c>:
/// the current secret and a staged next one (notAfter null) and previous ones until their grace period ends. An
/// annotation rather than a data key because Sigil's Secret informer cache keeps annotations (its data may be
/// compacted), and the endpoint answers from that cache with no API call per request. A hash suffices: the secret is
/// at least 32 characters from the CSPRNG, not a password, so a fast hash gives nothing away.
/// </summary>
internal static class ClientSecretVerifiers
{
    public const string Annotation = "sigil.dev/client-secret-verifiers";

    private const int DigestLength = 32;

    private static readonly JsonSerializerOptions Options = new() { TypeInfoResolver = Runtime.SigilJson.Resolver };

    /// <summary>The annotation value: deterministic (live entries first, then by notAfter and key id), so a pass that changes nothing writes nothing.</summary>
    public static string Format(IEnumerable<ClientSecretVerifier> entries) =>
        JsonSerializer.Serialize(entries
            .OrderBy(e => e.NotAfter is null ? 0 : 1)
            .ThenBy(e => e.NotAfter)
            .ThenBy(e => e.KeyId, StringComparer.Ordinal)
            .Select(e => e with { NotAfter = e.NotAfter is { } t ? Api.Timestamps.ToSecond(t) : null })
            .ToList<ClientSecretVerifier?>(), Options.Info<List<ClientSecretVerifier?>>());

    /// <summary>
    /// Reads the annotation; absent or garbled gives no entries (nothing is accepted: failing closed), and an entry
    /// whose sha256 is not 64 lowercase hex digits is dropped rather than compared.
    /// </summary>
    public static IReadOnlyList<ClientSecretVerifier> Parse(string? annotation)
    {
        if (string.IsNullOrWhiteSpace(annotation))
        {
            return [];
        }
        try
        {
            var entries = JsonSerializer.Deserialize(annotation, Options.Info<List<ClientSecretVerifier?>>()) ?? [];
            return [.. entries.OfType<ClientSecretVerifier>().Where(e => !string.IsNullOrEmpty(e.KeyId) && IsDigest(e.Sha256))];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    /// <summary>The annotation of a Secret's annotations, parsed (see <see cref="Parse"/>).</summary>
    public static IReadOnlyList<ClientSecretVerifier> From(IDictionary<string, string>? annotations) =>
        Parse(annotations is not null && annotations.TryGetValue(Annotation, out var value) ? value : null);

    /// <summary>
    /// The secrets the token endpoint may accept for <paramref name="identity"/>, given the Secret its cache holds under
    /// <see cref="SecretClaimPolicy.OAuth2SecretName"/>: none unless spec.oauth2.clientSecret is set now (removing it
    /// stops the secret working at once) and the Secret is the one Sigil wrote for this identity (its name, the
    /// managed-by label and an ownerReference to this identity's uid), so a Secret someone else made with a copied
    /// annotation verifies nothing.
    /// </summary>
    public static IReadOnlyList<ClientSecretVerifier> For(Api.ServiceIdentity identity, k8s.Models.V1Secret? secret) =>
        identity.Spec.OAuth2?.ClientSecret is { } spec
        && secret is not null
        && secret.Metadata.Name == SecretClaimPolicy.OAuth2SecretName(identity, spec)
        && secret.Metadata.NamespaceProperty == identity.Metadata.NamespaceProperty
        && ManagedSecrets.IsOwnedBy(secret, identity)
            ? From(secret.Metadata.Annotations)
            : [];

    /// <summary>The entry for a secret presented as <paramref name="clientSecret"/>.</summary>
    public static ClientSecretVerifier Entry(string keyId, string clientSecret, DateTimeOffset? notAfter = null) => new(keyId, Sha256Hex(clientSecret), notAfter);

    public static string Sha256Hex(string clientSecret) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(clientSecret)));

    /// <summary>
    /// Whether <paramref name="presentedSecret"/> is a secret <paramref name="entries"/> accept at <paramref name="now"/>
    /// (notAfter null, or now before notAfter). Every entry is compared, in constant time, whichever matches, so the
    /// time taken says nothing about which entry (if any) was close.
    /// </summary>
    public static bool Accepts(IReadOnlyList<ClientSecretVerifier> entries, string presentedSecret, DateTimeOffset now)
    {
        Span<byte> presented = stackalloc byte[DigestLength];
        Span<byte> expected = stackalloc byte[DigestLength];
        SHA256.HashData(Encoding.UTF8.GetBytes(presentedSecret), presented);
        var accepted = false;
        foreach (var entry in entries)
        {
            var decoded = Convert.FromHexString(entry.Sha256, expected, out _, out var written) == System.Buffers.OperationStatus.Done && written == DigestLength;
            var live = entry.NotAfter is not { } notAfter || now < notAfter;
            // Non-short-circuiting & and |: the comparison runs for every entry, live or not.
            accepted |= CryptographicOperations.FixedTimeEquals(presented, expected) & decoded & live;
        }
        return accepted;
    }

    private static bool IsDigest(string? hex) =>
        hex is { Length: DigestLength * 2 } && hex.All(c => c is >= '0' and <= '9' or >= 'a' and <= 'f');
}
