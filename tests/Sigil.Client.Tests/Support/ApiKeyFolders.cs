using System.Security.Cryptography;

namespace Sigil.Client.Tests.Support;

/// <summary>API-key Secret contents shaped as Sigil writes them (sgl_&lt;keyId&gt;_&lt;secret&gt;, key-id, hmac-secret).</summary>
internal static class ApiKeyFolders
{
    public static (string KeyId, string Key, string HmacSecret) NewKey()
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));
        var secret = System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32));
        return (keyId, $"sgl_{keyId}_{secret}", System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)));
    }

    public static Dictionary<string, string> Bearer((string KeyId, string Key, string HmacSecret) key) =>
        new() { ["api-key"] = key.Key, ["key-id"] = key.KeyId };

    public static Dictionary<string, string> Hmac((string KeyId, string Key, string HmacSecret) key) =>
        new() { ["api-key"] = key.Key, ["key-id"] = key.KeyId, ["hmac-secret"] = key.HmacSecret };
}
