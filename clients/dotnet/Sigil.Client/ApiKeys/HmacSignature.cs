using System.Diagnostics.CodeAnalysis;
using System.Globalization;
using System.Security.Cryptography;
using System.Text;

namespace Sigil.Client.ApiKeys;

/// <summary>The parts of an <c>Authorization: Sigil-HMAC-SHA256 keyId=…, timestamp=…, [nonce=…,] signature=…</c> header.</summary>
/// <param name="KeyId">The signing key's id.</param>
/// <param name="Timestamp">Unix seconds when the request was signed.</param>
/// <param name="Signature">base64url HMAC-SHA256, no padding.</param>
/// <param name="Nonce">A value unique to this request (1 to 64 base64url characters), signed with it; null when absent.</param>
public sealed record HmacAuthorization(string KeyId, long Timestamp, string Signature, string? Nonce = null);

/// <summary>
/// Sigil's HMAC request signature: HMAC-SHA256 keyed with the UTF-8 bytes of <c>hmac-secret</c> over
/// <c>METHOD\nPATH?QUERY\nTIMESTAMP\nNONCE\nhex(SHA-256(body))</c> (without a nonce, without its line:
/// <c>METHOD\nPATH?QUERY\nTIMESTAMP\nhex(SHA-256(body))</c>), sent as
/// <c>Authorization: Sigil-HMAC-SHA256 keyId=&lt;keyId&gt;, timestamp=&lt;unix seconds&gt;, nonce=&lt;nonce&gt;, signature=&lt;base64url&gt;</c>.
/// A receiver accepts each signature once within its replay window; the nonce is what lets two identical requests in the
/// same second both be accepted, so signers should always send one (<see cref="NewNonce"/>).
/// </summary>
public static class HmacSignature
{
    /// <summary>The authorization scheme name.</summary>
    public const string Scheme = "Sigil-HMAC-SHA256";

    /// <summary>How far a timestamp may be from the receiver's clock, either way, by default.</summary>
    public static readonly TimeSpan DefaultReplayWindow = TimeSpan.FromMinutes(5);

    /// <summary>The lowercase hex SHA-256 of a body (of an empty body when there is none).</summary>
    public static string BodyHash(ReadOnlySpan<byte> body) => Convert.ToHexStringLower(SHA256.HashData(body));

    /// <summary>A fresh nonce: 16 bytes from the CSPRNG, base64url.</summary>
    public static string NewNonce() => Base64Url(RandomNumberGenerator.GetBytes(16));

    /// <summary>The signature, base64url without padding.</summary>
    public static string Sign(string secret, string method, string pathAndQuery, long timestamp, string bodyHash, string? nonce = null)
    {
        if (nonce is not null && !IsValidNonce(nonce))
        {
            throw new ArgumentException("A nonce is 1 to 64 base64url characters (A-Z, a-z, 0-9, '-', '_').", nameof(nonce));
        }
        var toSign = nonce is null
            ? string.Create(CultureInfo.InvariantCulture, $"{method}\n{pathAndQuery}\n{timestamp}\n{bodyHash}")
            : string.Create(CultureInfo.InvariantCulture, $"{method}\n{pathAndQuery}\n{timestamp}\n{nonce}\n{bodyHash}");
        var mac = HMACSHA256.HashData(Encoding.UTF8.GetBytes(secret), Encoding.UTF8.GetBytes(toSign));
        return Base64Url(mac);
    }

    /// <summary>The <c>Authorization</c> header value (scheme included).</summary>
    public static string FormatHeader(HmacAuthorization authorization) => authorization.Nonce is null
        ? string.Create(CultureInfo.InvariantCulture, $"{Scheme} keyId={authorization.KeyId}, timestamp={authorization.Timestamp}, signature={authorization.Signature}")
        : string.Create(CultureInfo.InvariantCulture, $"{Scheme} keyId={authorization.KeyId}, timestamp={authorization.Timestamp}, nonce={authorization.Nonce}, signature={authorization.Signature}");

    /// <summary>Reads the parameters of a <c>Sigil-HMAC-SHA256</c> authorization (after the scheme), in any order, each once.</summary>
    public static bool TryParseParameters(string? parameters, [NotNullWhen(true)] out HmacAuthorization? authorization)
    {
        authorization = null;
        if (string.IsNullOrWhiteSpace(parameters) || parameters.Length > 1024)
        {
            return false;
        }
        string? keyId = null, timestamp = null, signature = null, nonce = null;
        foreach (var part in parameters.Split(',', StringSplitOptions.TrimEntries))
        {
            var equals = part.IndexOf('=', StringComparison.Ordinal);
            if (equals <= 0)
            {
                return false;
            }
            var value = part[(equals + 1)..];
            switch (part[..equals])
            {
                case "keyId" when keyId is null: keyId = value; break;
                case "timestamp" when timestamp is null: timestamp = value; break;
                case "signature" when signature is null: signature = value; break;
                case "nonce" when nonce is null && IsValidNonce(value): nonce = value; break;
                default: return false;
            }
        }
        if (string.IsNullOrEmpty(keyId) || string.IsNullOrEmpty(signature)
            || !long.TryParse(timestamp, NumberStyles.None, CultureInfo.InvariantCulture, out var seconds))
        {
            return false;
        }
        authorization = new HmacAuthorization(keyId, seconds, signature, nonce);
        return true;
    }

    private static bool IsValidNonce(string nonce) => nonce.Length is > 0 and <= 64 && nonce.AsSpan().IndexOfAnyExcept(NonceCharacters) < 0;

    private static readonly System.Buffers.SearchValues<char> NonceCharacters =
        System.Buffers.SearchValues.Create("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    internal static string Base64Url(ReadOnlySpan<byte> bytes) => System.Buffers.Text.Base64Url.EncodeToString(bytes);
}
