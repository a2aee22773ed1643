using System.Security.Cryptography;
using System.Text;

namespace Sigil.Credentials.ApiKeys;

/// <summary>
/// One API key: a short random id and a secret from the CSPRNG, presented as sgl_&lt;keyId&gt;_&lt;secret&gt;. The secret
/// is 43 base62 characters (256 bits) and a 6-character base62 CRC-32 of everything before it, so the key is one word to
/// copy and match, and a secret scanner can tell a real Sigil key from noise offline (GitHub's token format does the same;
/// docs/api-key-format.md gives the pattern). Keys issued before this format (a base64url secret) keep verifying: receivers
/// compare hashes, never the shape. For HMACSHA256 the same secret signs requests.
/// </summary>
internal sealed record ApiKeyMaterial(string KeyId, string Secret)
{
    public const string Prefix = "sgl_";

    public string Presented => $"{Prefix}{KeyId}_{Secret}";

    /// <summary>SHA-256 of the presented key, in hex: what a receiver stores to verify a Bearer key.</summary>
    public string PresentedSha256 => Sha256Hex(Presented);

    /// <summary>The base62 alphabet of the secret and its checksum, in digit order.</summary>
    public const string Base62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz";

    private const int RandomLength = 43;
    private const int ChecksumLength = 6;

    public static ApiKeyMaterial New()
    {
        var keyId = Convert.ToHexStringLower(RandomNumberGenerator.GetBytes(5));
        var random = RandomNumberGenerator.GetString(Base62, RandomLength);
        return new(keyId, random + Checksum($"{Prefix}{keyId}_{random}"));
    }

    /// <summary>Whether a presented key is in the checksummed format and its checksum holds (false for older keys too).</summary>
    public static bool HasValidChecksum(string presented) =>
        presented.Length > ChecksumLength && Parse(presented) is { Secret.Length: RandomLength + ChecksumLength }
        && presented.AsSpan(presented.Length - ChecksumLength).SequenceEqual(Checksum(presented[..^ChecksumLength]));

    /// <summary>CRC-32 (IEEE, as zlib) of the UTF-8 text, as 6 base62 digits, most significant first, zero-padded.</summary>
    private static string Checksum(string text)
    {
        var value = (ulong)System.IO.Hashing.Crc32.HashToUInt32(Encoding.UTF8.GetBytes(text));
        Span<char> digits = stackalloc char[ChecksumLength];
        for (var i = ChecksumLength - 1; i >= 0; i--)
        {
            digits[i] = Base62[(int)(value % 62)];
            value /= 62;
        }
        return new string(digits);
    }

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
