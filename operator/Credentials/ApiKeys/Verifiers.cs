using System.Text.Json;
using System.Text.Json.Serialization;
using Sigil.Runtime;

namespace Sigil.Credentials.ApiKeys;

/// <summary>One entry of a receiver's keys.json: what verifies one caller key (never a plaintext Bearer key).</summary>
internal sealed record VerifierEntry
{
    [JsonPropertyName("keyId")] public string KeyId { get; init; } = "";
    [JsonPropertyName("caller")] public string Caller { get; init; } = "";
    [JsonPropertyName("name")] public string Name { get; init; } = "";
    [JsonPropertyName("type")] public string Type { get; init; } = "Bearer";
    [JsonPropertyName("sha256")] public string? Sha256 { get; init; }
    [JsonPropertyName("secret")] public string? Secret { get; init; }
    /// <summary>Null while the key is current (or next); set when it is retired, to rotation time + grace period.</summary>
    [JsonPropertyName("notAfter")]
    [JsonIgnore(Condition = JsonIgnoreCondition.Never)]
    public DateTimeOffset? NotAfter { get; init; }

    public override string ToString() => $"VerifierEntry {{ KeyId = {KeyId}, Caller = {Caller}, Name = {Name} }}";
}

/// <summary>A caller key as the caller's Secret holds it: the current key, and a next key waiting to be promoted.</summary>
internal sealed record CallerKeyState(string Caller, string Name, string Type, ApiKeyMaterial Current, DateTimeOffset RotatedAt, ApiKeyMaterial? Pending);

/// <summary>
/// Decides a receiver's keys.json (pure). A caller's entries: its current and pending keys (accepted now),
/// and each earlier key until rotatedAt + grace, so the receiver accepts the new key before the caller
/// presents it and keeps accepting the old one until every caller instance has moved.
/// </summary>
internal static class VerifierPlan
{
    private static readonly JsonSerializerOptions Options = new()
    {
        WriteIndented = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull,
        TypeInfoResolver = Runtime.SigilJson.Resolver,
    };

    public static IReadOnlyList<VerifierEntry> Parse(byte[]? keysJson)
    {
        if (keysJson is null || keysJson.Length == 0)
        {
            return [];
        }
        try
        {
            return JsonSerializer.Deserialize(keysJson, Options.Info<List<VerifierEntry>>()) ?? [];
        }
        catch (JsonException)
        {
            return [];
        }
    }

    public static byte[] Serialize(IReadOnlyList<VerifierEntry> entries) =>
        JsonSerializer.SerializeToUtf8Bytes(entries.OrderBy(e => e.Caller, StringComparer.Ordinal).ThenBy(e => e.Name, StringComparer.Ordinal)
            .ThenBy(e => e.NotAfter is null ? 1 : 0).ThenBy(e => e.KeyId, StringComparer.Ordinal).ToList(), Options.Info<List<VerifierEntry>>());

    /// <summary>The entries after one caller key's pass: its own entries replaced, everyone else's untouched.</summary>
    public static List<VerifierEntry> WithCallerKey(IReadOnlyList<VerifierEntry> existing, CallerKeyState state, TimeSpan grace, DateTimeOffset now)
    {
        var others = existing.Where(e => e.Caller != state.Caller || e.Name != state.Name).ToList();
        var mine = existing.Where(e => e.Caller == state.Caller && e.Name == state.Name).ToList();
        var live = new[] { state.Current, state.Pending }.OfType<ApiKeyMaterial>().ToList();
        var retired = mine
            .Where(e => live.All(k => k.KeyId != e.KeyId))
            .Select(e => e with { NotAfter = e.NotAfter ?? Api.Timestamps.ToSecond(state.RotatedAt + grace) })
            .Where(e => e.NotAfter > now);
        return [.. others, .. retired, .. live.Select(k => Entry(state, k))];
    }

    /// <summary>The entries a receiver keeps on its own pass: only keys it still wants (accepted callers' existing keys), none past notAfter.</summary>
    public static List<VerifierEntry> Pruned(IReadOnlyList<VerifierEntry> existing, Func<VerifierEntry, bool> wanted, DateTimeOffset now) =>
        existing.Where(e => wanted(e) && (e.NotAfter is null || e.NotAfter > now)).ToList();

    /// <summary>Whether <paramref name="entries"/> already accept <paramref name="key"/> as <paramref name="state"/>'s caller key (not retired).</summary>
    public static bool Holds(IReadOnlyList<VerifierEntry> entries, CallerKeyState state, ApiKeyMaterial key) => entries.Contains(Entry(state, key));

    public static VerifierEntry Entry(CallerKeyState state, ApiKeyMaterial key) => new()
    {
        KeyId = key.KeyId,
        Caller = state.Caller,
        Name = state.Name,
        Type = state.Type,
        Sha256 = state.Type == "Bearer" ? key.PresentedSha256 : null,
        Secret = state.Type == "HMACSHA256" ? key.Secret : null,
    };

    public static bool Same(IReadOnlyList<VerifierEntry> a, IReadOnlyList<VerifierEntry> b) => Serialize(a).AsSpan().SequenceEqual(Serialize(b));
}
