using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;
using k8s.Models;
using Sigil.Identity;
using Sigil.Runtime;

namespace Sigil.Authority;

/// <summary>
/// The JWT signing keys as stored in the cluster: each key's record (role and step times) and its private key, and a
/// sequence that grows whenever the published set changes. One Secret holds all of it, so every lifecycle step is one
/// optimistic-concurrency write: a crash between two steps leaves the state of the last one, never half of one.
/// </summary>
/// <param name="Keys">Oldest first (by preparation), the order the JWKS publishes them in.</param>
/// <param name="Material">The private key of each record, by kid. Never logged.</param>
internal sealed record JwtKeyState(IReadOnlyList<JwtKeyRecord> Keys, IReadOnlyDictionary<string, JwtSigningKey> Material, long Sequence)
{
    public static readonly JwtKeyState Empty = new([], new Dictionary<string, JwtSigningKey>(), 0);

    /// <summary>
    /// What passes see: the active key signs; every stored key is published, oldest first, so a rotation step adds or
    /// removes an entry but never reorders the others (an activation leaves every bundle byte for byte as it was).
    /// </summary>
    public JwtKeySet ToKeySet() => new(
        Keys.FirstOrDefault(k => k.Role == JwtKeyRole.Active) is { } active ? Material[active.KeyId] : null,
        Keys.Select(k => Material[k.KeyId]).ToList(),
        Sequence);
}

/// <summary>
/// How <see cref="JwtKeyState"/> is kept in Secret <c>sigil-jwt-keys</c> (pure: no API): each private key as PKCS#8 PEM
/// under <c>&lt;kid&gt;.key</c> (a kid is base64url, which Secret keys allow), everything else in one JSON annotation.
/// </summary>
internal static class JwtKeyStateCodec
{
    public const string StateAnnotation = "sigil.dev/jwt-key-state";
    public const string KeySuffix = ".key";

    private static readonly JsonSerializerOptions Json = new()
    {
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        Converters = { new JsonStringEnumConverter<JwtKeyRole>(JsonNamingPolicy.CamelCase) },
        TypeInfoResolver = Runtime.SigilJson.Resolver,
    };

    internal sealed record StoredKey(
        [property: JsonPropertyName("kid")] string KeyId,
        [property: JsonPropertyName("alg")] string Algorithm,
        [property: JsonPropertyName("role")] JwtKeyRole Role,
        [property: JsonPropertyName("preparedAt")] DateTimeOffset PreparedAt,
        [property: JsonPropertyName("publishedAt")] DateTimeOffset? PublishedAt,
        [property: JsonPropertyName("activatedAt")] DateTimeOffset? ActivatedAt,
        [property: JsonPropertyName("retiredAt")] DateTimeOffset? RetiredAt);

    internal sealed record StoredState(
        [property: JsonPropertyName("sequence")] long Sequence,
        [property: JsonPropertyName("keys")] IReadOnlyList<StoredKey>? Keys);

    /// <summary>
    /// The state the Secret holds. What cannot be read is left out rather than failing the pass: a record whose key is
    /// missing or unreadable, a second active or prepared key. An annotation that is missing or garbled while keys are
    /// stored keeps every readable key published as retiring from <paramref name="now"/> (tokens it signed may be out
    /// there), so the lifecycle prepares a successor through the normal wait; only a Secret with no key starts afresh.
    /// </summary>
    public static JwtKeyState Read(V1Secret? secret, DateTimeOffset now)
    {
        if (secret is null)
        {
            return JwtKeyState.Empty;
        }
        var stored = Parse(secret);
        var material = new Dictionary<string, JwtSigningKey>(StringComparer.Ordinal);
        var records = new List<JwtKeyRecord>();
        if (stored?.Keys is { } keys)
        {
            foreach (var k in keys)
            {
                if (material.ContainsKey(k.KeyId) || k.Role != JwtKeyRole.Retiring && records.Any(r => r.Role == k.Role)
                    || Load(secret, k.KeyId, k.Algorithm) is not { } key)
                {
                    continue;
                }
                material[k.KeyId] = key;
                records.Add(new JwtKeyRecord(k.KeyId, k.Algorithm, k.Role, k.PreparedAt, k.PublishedAt,
                    k.Role == JwtKeyRole.Prepared ? null : k.ActivatedAt ?? k.PreparedAt, k.Role == JwtKeyRole.Retiring ? k.RetiredAt ?? now : null));
            }
        }
        else
        {
            foreach (var kid in (secret.Data?.Keys ?? []).Where(d => d.EndsWith(KeySuffix, StringComparison.Ordinal)).Select(d => d[..^KeySuffix.Length]).Order(StringComparer.Ordinal))
            {
                if ((Load(secret, kid, JwtSigningKey.ES256) ?? Load(secret, kid, JwtSigningKey.RS256)) is { } key)
                {
                    material[kid] = key;
                    records.Add(new JwtKeyRecord(kid, key.Algorithm, JwtKeyRole.Retiring, now, ActivatedAt: now, RetiredAt: now));
                }
            }
        }
        return new JwtKeyState(records, material, Math.Max(stored?.Sequence ?? 1, 1));
    }

    /// <summary>Whether the Secret's state annotation is there and readable (a garbled one is logged by the caller).</summary>
    public static bool Readable(V1Secret secret) => Parse(secret) is not null;

    /// <summary>The data and the state annotation that store <paramref name="state"/>.</summary>
    public static (Dictionary<string, byte[]> Data, string StateJson) Write(JwtKeyState state)
    {
        var data = state.Keys.ToDictionary(k => k.KeyId + KeySuffix, k => Encoding.ASCII.GetBytes(state.Material[k.KeyId].PrivateKeyPem()));
        var stored = new StoredState(state.Sequence, state.Keys
            .Select(k => new StoredKey(k.KeyId, k.Algorithm, k.Role, k.PreparedAt, k.PublishedAt, k.ActivatedAt, k.RetiredAt)).ToList());
        return (data, JsonSerializer.Serialize(stored, Json.Info<StoredState>()));
    }

    private static StoredState? Parse(V1Secret secret)
    {
        if (secret.Metadata?.Annotations is not { } a || !a.TryGetValue(StateAnnotation, out var json))
        {
            return null;
        }
        try
        {
            return JsonSerializer.Deserialize(json, Json.Info<StoredState>()) is { Keys: not null } state && state.Keys.All(k => k is { KeyId: not null, Algorithm: not null }) ? state : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The key stored under the kid, if it reads as that algorithm and its thumbprint is that kid.</summary>
    private static JwtSigningKey? Load(V1Secret secret, string kid, string algorithm)
    {
        if (secret.Data is not { } data || !data.TryGetValue(kid + KeySuffix, out var pem) || pem.Length == 0 || !JwtSigningKey.IsSupported(algorithm))
        {
            return null;
        }
        try
        {
            var key = JwtSigningKey.FromPem(algorithm, Encoding.ASCII.GetString(pem));
            if (key.KeyId == kid)
            {
                return key;
            }
            key.Dispose();
            return null;
        }
        catch (Exception e) when (e is CryptographicException or ArgumentException)
        {
            // Never the exception's text: it could quote the PEM.
            return null;
        }
    }
}

/// <summary>What each JWT key lifecycle step does to the stored state (pure, but for the new key the caller generates).</summary>
internal static class JwtKeyTransitions
{
    public static JwtKeyState Apply(JwtKeyState s, JwtKeyDecision decision, DateTimeOffset now, Func<JwtSigningKey> generate)
    {
        var at = Api.Timestamps.ToSecond(now);
        switch (decision.Step)
        {
            case JwtKeySteps.First:
            {
                var key = generate();
                return new JwtKeyState([new JwtKeyRecord(key.KeyId, key.Algorithm, JwtKeyRole.Active, at, at, at)],
                    new Dictionary<string, JwtSigningKey>(s.Material) { [key.KeyId] = key }, s.Sequence + 1);
            }
            case JwtKeySteps.Prepare:
            {
                var key = generate();
                return new JwtKeyState([.. s.Keys, new JwtKeyRecord(key.KeyId, key.Algorithm, JwtKeyRole.Prepared, at)],
                    new Dictionary<string, JwtSigningKey>(s.Material) { [key.KeyId] = key }, s.Sequence + 1);
            }
            case JwtKeySteps.MarkPublished:
                return s with { Keys = [.. s.Keys.Select(k => k.Role == JwtKeyRole.Prepared ? k with { PublishedAt = at } : k)] };
            case JwtKeySteps.Unpublish:
                return s with { Keys = [.. s.Keys.Select(k => k.Role == JwtKeyRole.Prepared ? k with { PublishedAt = null } : k)] };
            case JwtKeySteps.Activate:
                // The published set stays the same (no bundle changes, no new sequence): only who signs does.
                return s with
                {
                    Keys = [.. s.Keys.Select(k => k.Role switch
                    {
                        JwtKeyRole.Prepared => k with { Role = JwtKeyRole.Active, ActivatedAt = at },
                        JwtKeyRole.Active => k with { Role = JwtKeyRole.Retiring, RetiredAt = at },
                        _ => k,
                    })],
                };
            case JwtKeySteps.Discard:
            case JwtKeySteps.Drop:
                return new JwtKeyState([.. s.Keys.Where(k => k.KeyId != decision.KeyId)],
                    s.Material.Where(m => m.Key != decision.KeyId).ToDictionary(m => m.Key, m => m.Value, StringComparer.Ordinal), s.Sequence + 1);
            default:
                throw new ArgumentOutOfRangeException(nameof(decision), decision.Step, "unknown JWT key step");
        }
    }
}
