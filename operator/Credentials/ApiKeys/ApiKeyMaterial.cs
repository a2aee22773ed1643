using System.Security.Cryptography;
using System.Text;

namespace Sigil.Credentials.ApiKeys;

/// <summary>
/// One API key: a short random id and a 256-bit secret from the CSPRNG, presented as sgl_&lt;keyId&gt;_&lt;secret&gt;
/// (the prefix makes a leaked key findable by secret scanners). For HMACSHA256 the same secret signs requests.
/// </summary>
internal sealed record ApiKeyMaterial(string KeyId, string Secret)
{
    public const string Prefix = "sgl_";

    public string Presented => $"{Prefix}{KeyId}_{Secret}";

    /// <summary>SHA-256 of the presented key, in hex: what a receiver stores to verify a Bearer key.</summary>
    public string PresentedSha256 => Sha256Hex(Presented);

    public static ApiKeyMaterial New() => new(
        Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5)),
        System.Buffers.Text.Base64Url.EncodeToString(RandomNumberGenerator.GetBytes(32)));

    /// <summary>Reads a presented key back into its parts; null if it is not in Sigil's form.</summary>
    public static ApiKeyMaterial? Parse(string? presented)
    {
        if (presented is null || !presented.StartsWith(Prefix, StringComparison.Ordinal))
        {
            return null;
        }
        var rest = presented[Prefix.Length..];
        var split = rest.IndexOf('_');
        return split <= 0 || split == rest.Length - 1 ? null : new ApiKeyMaterial(rest[..split], rest[(split + 1)..]);
    }

    public static string Sha256Hex(string text) => Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(text)));

    // Never print the secret (records print every property by default).
    public override string ToString() => $"ApiKeyMaterial {{ KeyId = {KeyId} }}";
}
