using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Serialization;

namespace Sigil.Client.ApiKeys;

/// <summary>One entry of a receiver's <c>keys.json</c>.</summary>
/// <param name="KeyId">The key's id.</param>
/// <param name="Caller">The caller's SPIFFE ID.</param>
/// <param name="Name">The caller's name for the key (its <c>spec.apiKeys[].name</c>).</param>
/// <param name="Type"><c>Bearer</c> or <c>HMACSHA256</c>.</param>
/// <param name="Sha256">For Bearer keys: lowercase hex SHA-256 of the whole presented key.</param>
/// <param name="Secret">For HMACSHA256 keys: the HMAC secret.</param>
/// <param name="NotAfter">When a retired key stops being valid; null for current keys.</param>
public sealed record VerifierKey(
    [property: JsonPropertyName("keyId")] string KeyId,
    [property: JsonPropertyName("caller")] string Caller,
    [property: JsonPropertyName("name")] string? Name,
    [property: JsonPropertyName("type")] string Type,
    [property: JsonPropertyName("sha256")] string? Sha256,
    [property: JsonPropertyName("secret")] string? Secret,
    [property: JsonPropertyName("notAfter")] DateTimeOffset? NotAfter)
{
    /// <summary>Whether the key may still be used at <paramref name="now"/>.</summary>
    public bool IsValidAt(DateTimeOffset now) => NotAfter is null || now < NotAfter;

    /// <summary>Never the hash or the secret.</summary>
    public override string ToString() => $"{Type} key {KeyId} of {Caller}";
}

/// <summary>A key that verified: who called, with which key.</summary>
/// <param name="Caller">The caller's SPIFFE ID.</param>
/// <param name="Key">The entry that matched.</param>
public sealed record VerifiedCaller(SpiffeId Caller, VerifierKey Key);

/// <summary>
/// A receiver's <c>keys.json</c> (from its <c>&lt;name&gt;-verifiers</c> Secret): every key it accepts, current and in
/// grace. Verification is constant-time in the compared values and honours <c>notAfter</c>.
/// </summary>
public sealed class VerifierKeys
{
    private readonly Dictionary<string, VerifierKey[]> _byKeyId;

    /// <summary>Wraps parsed entries.</summary>
    public VerifierKeys(IEnumerable<VerifierKey> keys)
    {
        Keys = [.. keys];
        _byKeyId = Keys.GroupBy(k => k.KeyId, StringComparer.Ordinal).ToDictionary(g => g.Key, g => g.ToArray(), StringComparer.Ordinal);
    }

    /// <summary>Every entry.</summary>
    public IReadOnlyList<VerifierKey> Keys { get; }

    /// <summary>Reads <c>keys.json</c> from a mounted verifier Secret folder.</summary>
    public static VerifierKeys Parse(Mounting.FolderSnapshot snapshot)
    {
        var json = snapshot.Require("keys.json", "the verifier keys (a JSON list)");
        List<VerifierKey?>? entries;
        try
        {
            entries = JsonSerializer.Deserialize(json, VerifierKeysJson.Default.ListVerifierKey);
        }
        catch (JsonException)
        {
            throw new SigilCredentialException($"{Path.Combine(snapshot.Directory, "keys.json")} is not a JSON list of verifier keys.");
        }
        if (entries is null || entries.Any(e => e is null || string.IsNullOrEmpty(e.KeyId) || !SpiffeId.TryParse(e.Caller, out _)))
        {
            throw new SigilCredentialException($"{Path.Combine(snapshot.Directory, "keys.json")} has an entry without a keyId or a caller SPIFFE ID.");
        }
        return new VerifierKeys(entries!);
    }

    /// <summary>
    /// Verifies a presented Bearer key (<c>sgl_&lt;keyId&gt;_&lt;secret&gt;</c>): an entry with its id, type Bearer, valid
    /// now, whose <c>sha256</c> equals the hash of the whole key. Null when it does not verify.
    /// </summary>
    public VerifiedCaller? VerifyBearer(string presented, DateTimeOffset now)
    {
        if (!ApiKeyFormat.TryParse(presented, out var keyId, out _) || !_byKeyId.TryGetValue(keyId, out var candidates))
        {
            return null;
        }
        var hash = Encoding.ASCII.GetBytes(Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(presented))));
        foreach (var key in candidates)
        {
            if (key is { Type: "Bearer", Sha256: { } expected } && key.IsValidAt(now)
                && CryptographicOperations.FixedTimeEquals(hash, Encoding.ASCII.GetBytes(expected)))
            {
                return new VerifiedCaller(SpiffeId.Parse(key.Caller), key);
            }
        }
        return null;
    }

    // Whether a signature with this key id could verify at all: checked before the body is hashed.
    internal bool HasHmacKey(string keyId, DateTimeOffset now) =>
        _byKeyId.TryGetValue(keyId, out var candidates) && candidates.Any(k => k is { Type: "HMACSHA256", Secret: not null } && k.IsValidAt(now));

    /// <summary>
    /// Verifies an HMAC signature: the timestamp within <paramref name="window"/> of <paramref name="now"/>, an entry
    /// with its id, type HMACSHA256, valid now, whose secret gives the same signature. Null when it does not verify.
    /// Replays inside the window are the caller's to refuse (see Sigil.AspNetCore's handler, which remembers signatures).
    /// </summary>
    public VerifiedCaller? VerifyHmac(HmacAuthorization authorization, string method, string pathAndQuery, string bodyHash, DateTimeOffset now, TimeSpan window)
    {
        ArgumentNullException.ThrowIfNull(authorization);
        if (Math.Abs(now.ToUnixTimeSeconds() - authorization.Timestamp) > window.TotalSeconds
            || !_byKeyId.TryGetValue(authorization.KeyId, out var candidates))
        {
            return null;
        }
        var presented = Encoding.ASCII.GetBytes(authorization.Signature);
        foreach (var key in candidates)
        {
            if (key is { Type: "HMACSHA256", Secret: { } secret } && key.IsValidAt(now))
            {
                var expected = HmacSignature.Sign(secret, method, pathAndQuery, authorization.Timestamp, bodyHash, authorization.Nonce);
                if (CryptographicOperations.FixedTimeEquals(presented, Encoding.ASCII.GetBytes(expected)))
                {
                    return new VerifiedCaller(SpiffeId.Parse(key.Caller), key);
                }
            }
        }
        return null;
    }
}

[JsonSerializable(typeof(List<VerifierKey?>))]
internal sealed partial class VerifierKeysJson : JsonSerializerContext;
