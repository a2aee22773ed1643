namespace Sigil.Client.ApiKeys;

/// <summary>
/// The key a caller presents, from its API-key Secret: <c>api-key</c> (<c>sgl_&lt;keyId&gt;_&lt;secret&gt;</c>),
/// <c>key-id</c>, and for HMACSHA256 keys <c>hmac-secret</c>.
/// </summary>
public sealed class ApiKeyCredential
{
    private ApiKeyCredential(string keyId, string key, string? hmacSecret)
    {
        KeyId = keyId;
        Key = key;
        HmacSecret = hmacSecret;
    }

    /// <summary>The key's id (lowercase hex); safe to log.</summary>
    public string KeyId { get; }

    /// <summary>The whole key to send as <c>Authorization: Bearer</c>. Secret.</summary>
    public string Key { get; }

    /// <summary>The HMAC secret, for HMACSHA256 keys; null for Bearer keys. Secret.</summary>
    public string? HmacSecret { get; }

    /// <summary>Never the key: only its id.</summary>
    public override string ToString() => $"API key {KeyId}";

    /// <summary>Reads a mounted API-key Secret folder.</summary>
    public static ApiKeyCredential Parse(Mounting.FolderSnapshot snapshot)
    {
        var key = snapshot.RequireText("api-key", "the API key (sgl_<keyId>_<secret>)").Trim();
        var keyId = snapshot.RequireText("key-id", "the API key's id").Trim();
        if (!ApiKeyFormat.TryParse(key, out var presentedId, out _) || presentedId != keyId)
        {
            // Both files come from one Secret version, so a mismatch is a damaged folder, not a rotation in progress.
            throw new SigilCredentialException($"{Path.Combine(snapshot.Directory, "api-key")} is not an API key with the id in key-id ({keyId}).");
        }
        return new ApiKeyCredential(keyId, key, snapshot.OptionalText("hmac-secret"));
    }
}

/// <summary>The shape of a Sigil API key: <c>sgl_&lt;keyId&gt;_&lt;secret&gt;</c>.</summary>
public static class ApiKeyFormat
{
    /// <summary>Splits a presented key into its id and secret; false when it is not shaped like a Sigil key.</summary>
    public static bool TryParse(string presented, out string keyId, out string secret)
    {
        keyId = secret = "";
        if (!presented.StartsWith("sgl_", StringComparison.Ordinal))
        {
            return false;
        }
        var rest = presented.AsSpan(4);
        var separator = rest.IndexOf('_');
        if (separator <= 0 || separator == rest.Length - 1 || rest[..separator].IndexOfAnyExcept(LowercaseHex) >= 0)
        {
            return false;
        }
        keyId = rest[..separator].ToString();
        secret = rest[(separator + 1)..].ToString();
        return true;
    }

    private static readonly System.Buffers.SearchValues<char> LowercaseHex = System.Buffers.SearchValues.Create("0123456789abcdef");
}
