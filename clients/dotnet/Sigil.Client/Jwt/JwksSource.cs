using System.Text.Json;
using Sigil.Client.Mounting;

namespace Sigil.Client.Jwt;

/// <summary>
/// The JWT signing keys of a trust domain: <c>jwks.json</c> of the <c>sigil-trust-bundle</c> ConfigMap, a plain JWKS
/// (<c>use: sig</c>, <c>alg</c>, <c>kid</c>) that ordinary JWT libraries read. Public keys only.
/// </summary>
public sealed class JsonWebKeys
{
    private JsonWebKeys(string json, IReadOnlyList<string> keyIds)
    {
        Json = json;
        KeyIds = keyIds;
    }

    /// <summary>The JWKS document as read, for a JWT library to load.</summary>
    public string Json { get; }

    /// <summary>The <c>kid</c> of every key, in document order.</summary>
    public IReadOnlyList<string> KeyIds { get; }

    /// <summary>Whether a key with <paramref name="keyId"/> is published.</summary>
    public bool Contains(string keyId) => KeyIds.Contains(keyId, StringComparer.Ordinal);

    /// <summary>Reads <c>jwks.json</c> from a mounted <c>sigil-trust-bundle</c> folder.</summary>
    public static JsonWebKeys Parse(FolderSnapshot snapshot)
    {
        var path = Path.Combine(snapshot.Directory, "jwks.json");
        var json = snapshot.RequireText("jwks.json", "the JWT signing keys (a JWKS)");
        var keyIds = new List<string>();
        try
        {
            using var document = JsonDocument.Parse(json);
            if (document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("keys", out var keys) || keys.ValueKind != JsonValueKind.Array)
            {
                throw new SigilCredentialException($"{path} is not a JWKS: it has no \"keys\" list.");
            }
            foreach (var key in keys.EnumerateArray())
            {
                if (key.ValueKind != JsonValueKind.Object
                    || !key.TryGetProperty("kid", out var kid) || kid.ValueKind != JsonValueKind.String || string.IsNullOrEmpty(kid.GetString())
                    || !key.TryGetProperty("kty", out var kty) || kty.ValueKind != JsonValueKind.String)
                {
                    throw new SigilCredentialException($"{path} has a key without a \"kid\" or \"kty\".");
                }
                keyIds.Add(kid.GetString()!);
            }
        }
        catch (JsonException)
        {
            throw new SigilCredentialException($"{path} is not JSON.");
        }
        return new JsonWebKeys(json, keyIds);
    }
}

/// <summary>
/// The <c>jwks.json</c> of a mounted <c>sigil-trust-bundle</c> ConfigMap folder, kept current: Sigil publishes a new
/// JWT key there at least <c>--bundle-propagation</c> before it signs, and keeps a retired one until every token it
/// signed has expired.
/// </summary>
/// <param name="directory">The folder the <c>sigil-trust-bundle</c> ConfigMap is mounted at.</param>
/// <param name="options">How changes are noticed.</param>
public sealed class JwksSource(string directory, CredentialSourceOptions? options = null)
    : CredentialSource<JsonWebKeys>(directory, options)
{
    /// <inheritdoc/>
    protected override JsonWebKeys Parse(FolderSnapshot snapshot) => JsonWebKeys.Parse(snapshot);
}
